"""The LIF recurrence in vectorized PyTorch: the path for GPUs (and CPUs without a C compiler).

Same equations, rounding and gradients as the C kernel (``csrc/lif.c``), on
any device: every op is elementwise over one timestep, so a CUDA tensor stays
on the GPU, and the membrane is recomputed in the backward pass from the
saved current instead of being stored (``T`` times less activation memory
than storing it)::

    u[t] = leak_k(u[t-1]) + a[t] + b - theta * o[t-1]
    o[t] = 1 if u[t] > theta else 0

``lif_autograd`` is the same recurrence written with autograd ops only: the
reference the tests hold both hand-written backward passes against.
"""

from __future__ import annotations

import math

import torch

NO_LEAK = 16  #: internal leak-parameter value that means "no leak" (exported as k = 0)


def channel_view(v: torch.Tensor, step_dims: int) -> torch.Tensor:
    """A per-channel vector ``(C,)`` shaped to broadcast over one step ``(N, C, ...)``."""
    return v.reshape((-1,) + (1,) * (step_dims - 2))


def _states(cur: torch.Tensor, b: torch.Tensor, th: torch.Tensor, k: int, T: int, repeat: bool):
    """Membranes and spikes ``(T, N, C, ...)`` of the recurrence (exact, integer-valued)."""
    base = cur if repeat else cur[0]
    shape = torch.broadcast_shapes(base.shape, b.shape, th.shape)
    us = torch.empty((T, *shape), dtype=cur.dtype, device=cur.device)
    spikes = torch.empty_like(us)
    drive = cur + b  # a[t] + b: (T, ...) or (...)
    u = torch.zeros(shape, dtype=cur.dtype, device=cur.device)
    for t in range(T):
        if k < NO_LEAK:
            u -= torch.floor(u * 2.0**-k)
        if t > 0:
            u -= th * spikes[t - 1]
        u += drive if repeat else drive[t]
        us[t] = u
        spikes[t] = (u > th).to(u.dtype)
    return us, spikes


class LIFTorch(torch.autograd.Function):
    """The recurrence over ``T`` steps with hand-written BPTT (see ``neurons.LIFPoolC`` for the equations).

    ``current``: ``(T, N, C, ...)``, or ``(N, C, ...)`` with ``repeat``;
    ``bias``/``theta``: ``(C,)``; ``k``: the integer leak parameter (1..16).
    """

    @staticmethod
    def forward(ctx, current, bias, theta, k, alpha: float, T: int, repeat: bool):
        dims = current.dim() if repeat else current.dim() - 1
        ctx.alpha, ctx.repeat, ctx.T, ctx.dims = alpha, repeat, T, dims
        b, th = channel_view(bias.detach(), dims), channel_view(theta.detach(), dims)
        _, spikes = _states(current.detach(), b, th, int(k.item()), T, repeat)
        ctx.save_for_backward(current.detach(), bias, theta, k)
        return spikes

    @staticmethod
    def backward(ctx, grad_out):
        cur, bias, theta, k = ctx.saved_tensors
        T, dims = ctx.T, ctx.dims
        b, th = channel_view(bias.detach(), dims), channel_view(theta.detach(), dims)
        us, spikes = _states(cur, b, th, int(k.item()), T, ctx.repeat)
        kf = float(k.item())
        lam = 1.0 - 2.0**-kf
        inv = 1.0 / th
        grad_cur = torch.zeros_like(us[0]) if ctx.repeat else torch.empty_like(us)
        g_b = torch.zeros_like(us[0])
        g_th = torch.zeros_like(us[0])
        g_k = torch.zeros_like(us[0])
        d_next = None
        for t in range(T - 1, -1, -1):
            u = us[t]
            sg = (u * inv).sub_(1.0).abs_().neg_().add_(1.0).clamp_(min=0.0).mul_(ctx.alpha).mul_(inv)
            g = grad_out[t] if d_next is None else grad_out[t] - th * d_next
            gs = g * sg
            d = gs if d_next is None else gs.add(d_next, alpha=lam)
            if ctx.repeat:
                grad_cur += d
            else:
                grad_cur[t] = d
            g_b += d
            g_th -= gs * u * inv
            if t > 0:
                g_th -= spikes[t - 1] * d
                g_k += d * us[t - 1]
            d_next = d
        grad_bias = g_b.sum_to_size(b.shape).reshape(bias.shape) if ctx.needs_input_grad[1] else None
        grad_theta = g_th.sum_to_size(th.shape).reshape(theta.shape) if ctx.needs_input_grad[2] else None
        grad_k = (g_k.sum() * math.log(2.0) * 2.0**-kf).reshape(k.shape) if ctx.needs_input_grad[3] else None
        return grad_cur, grad_bias, grad_theta, grad_k, None, None, None


# ---------------------------------------------------------------- autograd reference
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


def leak(u: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Exact ``leak_k`` in the forward pass; ``u * (1 - 2**-k)`` for gradients."""
    proxy = u * (1.0 - torch.pow(2.0, -k))
    k_int = int(k.item())
    exact = u if k_int >= NO_LEAK else u - torch.floor(u * 2.0**-k_int)
    return proxy + (exact - proxy).detach()


def lif_autograd(current: torch.Tensor, bias: torch.Tensor, theta: torch.Tensor, k: torch.Tensor,
                 alpha: float) -> torch.Tensor:
    """Reference: the recurrence with autograd ops; ``current`` ``(T, N, C, ...)``, ``bias``/``theta`` ``(C,)``."""
    dims = current.dim() - 1
    b, th = channel_view(bias, dims), channel_view(theta, dims)
    u = torch.zeros_like(current[0] + b)
    o = torch.zeros_like(u)
    out = []
    for c in current.unbind(0):
        u = leak(u, k) + c + b - th * o
        o = SpikeFn.apply(u, th, alpha)
        out.append(o)
    return torch.stack(out)
