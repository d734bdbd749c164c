"""DIET-SNN LIF neurons in PyTorch whose forward pass is the integer network.

The membrane lives in accumulator units (integers held in float32, exact far
below 2**24). Every quantity that the integer network rounds is rounded in the
forward pass too, with straight-through gradients, so the eval-mode model
computes SPEC section 3 exactly:

    u[t] = leak_k(u[t-1]) + a[t] + b - theta * o[t-1]
    o[t] = 1 if u[t] > theta else 0

``leak_k(u) = u - floor(u / 2**k)`` (no leak for ``k = 0``). Gradients use the
continuous ``lambda = 1 - 2**-k`` for the leak (so ``k`` is learned) and the
paper's piecewise-linear surrogate ``alpha * max(0, 1 - |u / theta - 1|)`` for
the spike.
"""

from __future__ import annotations

import math

import torch

from . import ckernel

#: Internal leak-parameter value that means "no leak" (exported as k = 0).
NO_LEAK = 16


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Round half to even in the forward pass, identity gradient."""
    return x + (torch.round(x) - x).detach()


class SpikeFn(torch.autograd.Function):
    """Strict threshold ``u > theta`` with DIET-SNN's piecewise-linear surrogate."""

    @staticmethod
    def forward(ctx, u, theta, alpha: float):
        ctx.save_for_backward(u, theta)
        ctx.alpha = alpha
        return (u > theta).to(u.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        u, theta = ctx.saved_tensors
        z = u / theta - 1.0
        sg = ctx.alpha * torch.clamp(1.0 - z.abs(), min=0.0) * grad_out
        grad_u = sg / theta
        grad_theta = (-sg * u / theta**2).sum_to_size(theta.shape) if ctx.needs_input_grad[1] else None
        return grad_u, grad_theta, None


def leak_shift_int(k_param: torch.Tensor) -> torch.Tensor:
    """Integer leak parameter in 1..16 (16 = no leak), straight-through."""
    return round_ste(k_param.clamp(1.0, float(NO_LEAK)))


def exported_leak_shift(k_param: torch.Tensor) -> int:
    """The SPEC's ``k``: 0 for no leak, else 1..15."""
    k = int(leak_shift_int(k_param).item())
    return 0 if k >= NO_LEAK else k


def leak(u: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Exact ``leak_k`` in the forward pass; ``u * (1 - 2**-k)`` for gradients."""
    proxy = u * (1.0 - torch.pow(2.0, -k))
    if int(k.item()) >= NO_LEAK:
        exact = u
    else:
        exact = u - torch.floor(u * 2.0 ** -int(k.item()))
    return proxy + (exact - proxy).detach()


def lif_autograd(current: torch.Tensor, bias: torch.Tensor, theta: torch.Tensor, k: torch.Tensor,
                 alpha: float) -> torch.Tensor:
    """The same recurrence as ``LIFFunction`` written with autograd ops (slow; the
    tests check ``LIFFunction``'s hand-written backward against it)."""
    u = torch.zeros_like(current[0] + bias)
    o = torch.zeros_like(u)
    out = []
    for c in current.unbind(0):
        u = leak(u, k) + c + bias - theta * o
        o = SpikeFn.apply(u, theta, alpha)
        out.append(o)
    return torch.stack(out)


class LIFFunction(torch.autograd.Function):
    """The LIF recurrence over ``T`` steps with hand-written BPTT.

    Forward is exact (integer-valued float32). Backward, with ``d_t`` the
    gradient reaching ``u[t]`` and ``g_t`` the gradient reaching ``o[t]``::

        g_t = dL/do[t] - theta * d_{t+1}
        d_t = g_t * sg(u[t]) + lambda * d_{t+1},   lambda = 1 - 2**-k
        dL/da[t] = d_t,  dL/db = sum d_t,  dL/dtheta = sum(g_t * sg_theta(u[t]) - o[t-1] * d_t)
        dL/dk = sum d_t * u[t-1] * ln2 * 2**-k

    with ``sg(u) = alpha * max(0, 1 - |u / theta - 1|) / theta`` and
    ``sg_theta(u) = -sg(u) * u / theta``.
    """

    @staticmethod
    def forward(ctx, current, bias, theta, k, alpha: float, T: int, repeat: bool):
        k_int = int(k.item())
        ctx.alpha, ctx.repeat = alpha, repeat
        dll = ckernel.load()
        step_shape = current.shape if repeat else current.shape[1:]  # (N, C, ...)
        if dll is not None and current.dtype == torch.float32 and len(step_shape) >= 2:
            n, c = step_shape[:2]
            s = math.prod(step_shape[2:])
            cur = current.detach().contiguous()
            b = bias.detach().reshape(-1).expand(c).contiguous()
            th = theta.detach().reshape(-1).expand(c).contiguous()
            if T > 64:
                raise ValueError(f"T must be at most 64 for the C LIF kernel, not {T}")
            spikes = torch.empty((T, *step_shape), dtype=torch.float32)
            dll.lif_forward(cur.data_ptr(), int(repeat), b.data_ptr(), th.data_ptr(), T, n, c, s, k_int,
                            spikes.data_ptr())
            ctx.use_c, ctx.T, ctx.k_int = True, T, k_int
            ctx.save_for_backward(cur, b, th, bias, theta, k)  # the membrane is recomputed in backward
            return spikes
        ctx.use_c = False
        base = current if repeat else current[0]
        shape = torch.broadcast_shapes(base.shape, bias.shape, theta.shape)
        us = torch.empty((T, *shape), dtype=current.dtype)
        spikes = torch.empty((T, *shape), dtype=current.dtype)
        drive = current + bias  # a[t] + b, (T, ...) or (...)
        u = torch.zeros(shape, dtype=current.dtype)
        for t in range(T):
            if k_int < NO_LEAK:
                u -= torch.floor(u * 2.0 ** -k_int)
            if t > 0:
                u -= theta * spikes[t - 1]
            u += drive if repeat else drive[t]
            us[t] = u
            torch.gt(u, theta, out=spikes[t])
        ctx.save_for_backward(us, spikes, bias, theta, k)
        return spikes

    @staticmethod
    def backward(ctx, grad_out):
        if ctx.use_c:
            cur, b, th, bias, theta, k = ctx.saved_tensors
            lam = 1.0 - 2.0 ** -float(k.item())
            k_scale = math.log(2.0) * 2.0 ** -float(k.item())
            step_shape = cur.shape if ctx.repeat else cur.shape[1:]
            n, c = step_shape[:2]
            s = math.prod(step_shape[2:])
            go = grad_out.contiguous().float()
            grad_cur = torch.empty_like(cur)
            sums = torch.empty((3, n, c), dtype=torch.float64)
            ckernel.load().lif_backward(go.data_ptr(), cur.data_ptr(), b.data_ptr(), th.data_ptr(), ctx.T, n, c, s,
                                        ctx.k_int, lam, ctx.alpha, int(ctx.repeat), grad_cur.data_ptr(),
                                        sums[0].data_ptr(), sums[1].data_ptr(), sums[2].data_ptr())
            per_c = sums.sum(1).float()  # (3, C)
            ch_shape = (1, c) + (1,) * (len(step_shape) - 2)
            grad_bias = per_c[0].reshape(ch_shape).sum_to_size(bias.shape) if ctx.needs_input_grad[1] else None
            grad_theta = per_c[1].reshape(ch_shape).sum_to_size(theta.shape) if ctx.needs_input_grad[2] else None
            grad_k = (per_c[2].sum() * k_scale).reshape(k.shape) if ctx.needs_input_grad[3] else None
            return grad_cur, grad_bias, grad_theta, grad_k, None, None, None
        us, spikes, bias, theta, k = ctx.saved_tensors
        T = us.shape[0]
        lam = 1.0 - 2.0 ** -float(k.item())
        d_all = torch.empty_like(us)
        g_theta = torch.zeros_like(us[0])
        g_k = torch.zeros_like(us[0])
        inv_theta = 1.0 / theta
        for t in range(T - 1, -1, -1):
            u = us[t]
            sg = (u * inv_theta).sub_(1.0).abs_().neg_().add_(1.0).clamp_(min=0.0).mul_(ctx.alpha)
            sg.mul_(inv_theta)  # alpha * max(0, 1 - |u / theta - 1|) / theta
            g = grad_out[t].clone() if t == T - 1 else grad_out[t] - theta * d_all[t + 1]
            gs = g.mul_(sg)  # g * sg
            d = d_all[t]
            if t == T - 1:
                d.copy_(gs)
            else:
                torch.add(gs, d_all[t + 1], alpha=lam, out=d)
            g_theta -= gs * u * inv_theta
            if t > 0:
                g_theta -= spikes[t - 1] * d
                g_k += d * us[t - 1]
        grad_current = d_all.sum(0) if ctx.repeat else d_all
        grad_bias = d_all.sum(0).sum_to_size(bias.shape) if ctx.needs_input_grad[1] else None
        grad_theta = g_theta.sum_to_size(theta.shape) if ctx.needs_input_grad[2] else None
        grad_k = (g_k.sum() * math.log(2.0) * 2.0 ** -float(k.item())).reshape(k.shape) if ctx.needs_input_grad[3] else None
        return grad_current, grad_bias, grad_theta, grad_k, None, None, None


def lif(current: torch.Tensor, bias: torch.Tensor, theta: torch.Tensor, k: torch.Tensor,
        alpha: float, T: int | None = None) -> torch.Tensor:
    """Run the LIF recurrence over time; returns spikes ``(T, N, C, ...)`` in {0, 1}.

    ``current``: ``(T, N, C, ...)``, or ``(N, C, ...)`` with ``T`` given for a
    current that is the same at every timestep (the input layer's product,
    computed once); ``bias`` and ``theta`` broadcast to one timestep's slice;
    ``k`` the integer leak parameter (1..16, 16 = no leak).
    """
    repeat = T is not None
    return LIFFunction.apply(current, bias, theta, k, alpha, T if repeat else current.shape[0], repeat)


class ORPool(torch.autograd.Function):
    """Spike max-pooling (OR) with window = stride = ``K`` on ``(B, C, H, W)``;
    gradients go to the first maximal input of each window, as ``max_pool2d``'s do."""

    @staticmethod
    def forward(ctx, x, K: int):
        b, c, h, w = x.shape
        x = x.detach().contiguous()
        y = torch.empty((b, c, h // K, w // K), dtype=x.dtype)
        ckernel.load().or_pool_forward(x.data_ptr(), b * c, h, w, K, y.data_ptr())
        ctx.save_for_backward(x)
        ctx.K = K
        return y

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        b, c, h, w = x.shape
        gy = gy.contiguous().float()
        gx = torch.empty_like(x)
        ckernel.load().or_pool_backward(x.data_ptr(), gy.data_ptr(), b * c, h, w, ctx.K, gx.data_ptr())
        return gx, None


def spike_pool(x: torch.Tensor, K: int) -> torch.Tensor:
    """OR over ``K x K`` windows with stride ``K`` of ``(B, C, H, W)`` spikes."""
    if ckernel.load() is not None and x.dtype == torch.float32:
        return ORPool.apply(x, K)
    return torch.nn.functional.max_pool2d(x, K)
