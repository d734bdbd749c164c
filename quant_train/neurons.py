"""DIET-SNN LIF neurons in PyTorch whose forward pass is the integer network.

The membrane lives in accumulator units (integers held in float32, exact
below 2**24; the model refuses a network whose SPEC section 6 bound is
larger). Every quantity that the integer network rounds is rounded in the
forward pass too, with straight-through gradients, so the eval-mode model
computes SPEC section 3 exactly:

    u[t] = leak_k(u[t-1]) + a[t] + b - theta * o[t-1]
    o[t] = 1 if u[t] > theta else 0

``leak_k(u) = u - floor(u / 2**k)`` (no leak for ``k = 0``). Gradients use the
continuous ``lambda = 1 - 2**-k`` for the leak (so ``k`` is learned) and the
paper's piecewise-linear surrogate ``alpha * max(0, 1 - |u / theta - 1|)`` for
the spike.

Two implementations, one result: on CPUs the C kernel (``csrc/lif.c``), which
also fuses the OR-pool that follows a LIF layer; elsewhere (CUDA, or no C
compiler) the vectorized PyTorch recurrence of ``lif_torch.py`` followed by
``max_pool2d``. Example::

    >>> cur = torch.tensor([[[3.0, 12.0]]])            # (T=1, N=1, C=2)
    >>> lif(cur, torch.zeros(2), torch.tensor([5.0, 5.0]), torch.tensor(16.0), 0.3)
    tensor([[[0., 1.]]])
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import ckernel
from .lif_torch import NO_LEAK, LIFTorch

__all__ = ["NO_LEAK", "round_ste", "round_ste_", "leak_shift_int", "exported_leak_shift", "lif", "spike_pool",
           "pooled_size", "uses_c_kernel"]


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Round half to even in the forward pass, identity gradient."""
    return x + (torch.round(x) - x).detach()


class _RoundInPlace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x)
        return x.round_()

    @staticmethod
    def backward(ctx, g):
        return g


def round_ste_(x: torch.Tensor) -> torch.Tensor:
    """``round_ste`` in place, for a fresh product whose producer does not keep it (conv, linear)."""
    return _RoundInPlace.apply(x)


def leak_shift_int(k_param: torch.Tensor) -> torch.Tensor:
    """Integer leak parameter in 1..16 (16 = no leak), straight-through."""
    return round_ste(k_param.clamp(1.0, float(NO_LEAK)))


def exported_leak_shift(k_param: torch.Tensor) -> int:
    """The SPEC's ``k``: 0 for no leak, else 1..15."""
    k = int(leak_shift_int(k_param).item())
    return 0 if k >= NO_LEAK else k


def pooled_size(n: int, kernel: int, stride: int) -> int:
    """Output size of a pool window ``kernel`` with ``stride`` over ``n`` (no padding)."""
    return (n - kernel) // stride + 1


def uses_c_kernel(x: torch.Tensor) -> bool:
    """Whether ``lif`` runs the C kernel for this tensor (float32 on the CPU, kernel built)."""
    return x.device.type == "cpu" and x.dtype == torch.float32 and ckernel.load() is not None


class LIFPoolC(torch.autograd.Function):
    """LIF over ``T`` steps fused with a ``K x K`` / stride ``S`` OR-pool, in the C kernel.

    Backward, with ``d_t`` the gradient reaching ``u[t]`` and ``g_t`` the gradient reaching ``o[t]``::

        g_t = dL/do[t] - theta * d_{t+1}
        d_t = g_t * sg(u[t]) + lambda * d_{t+1},   lambda = 1 - 2**-k
        dL/da[t] = d_t,  dL/db = sum d_t,  dL/dtheta = sum(g_t * sg_theta(u[t]) - o[t-1] * d_t)
        dL/dk = sum d_t * u[t-1] * ln2 * 2**-k

    with ``sg(u) = alpha * max(0, 1 - |u / theta - 1|) / theta`` and
    ``sg_theta(u) = -sg(u) * u / theta``; a pooled gradient goes to the first
    maximal input of its window, as ``max_pool2d``'s does.
    """

    @staticmethod
    def forward(ctx, current, bias, theta, k, alpha: float, T: int, repeat: bool, K: int, S: int):
        dims = current.dim() if repeat else current.dim() - 1
        if dims == 2:  # dense (N, C): one position per image
            n, c = current.shape[-2:]
            h = w = 1
            rows = current.detach().contiguous()
        elif dims == 4:  # conv (N, C, H, W) -> channels innermost (N, H, W, C)
            n, c, h, w = current.shape[-4:]
            rows = current.detach().permute((0, 2, 3, 1) if repeat else (0, 1, 3, 4, 2)).contiguous()
        else:
            raise ValueError(f"lif: expected a step of shape (N, C) or (N, C, H, W), got {tuple(current.shape)}")
        if bias.numel() != c or theta.numel() != c:
            raise ValueError(f"lif: bias and theta need {c} values (one per channel), got {bias.numel()} and "
                             f"{theta.numel()}")
        k_int = int(k.item())
        b = bias.detach().float().reshape(c).repeat(w).contiguous()  # per channel, expanded along a row
        th = theta.detach().float().reshape(c).repeat(w).contiguous()
        oh, ow = pooled_size(h, K, S), pooled_size(w, K, S)
        out = torch.empty((T, n, oh, ow, c), dtype=torch.float32)
        ckernel.load().lif_pool_forward(rows.data_ptr(), int(repeat), b.data_ptr(), th.data_ptr(), T, n, h, w, c,
                                        K, S, k_int, torch.get_num_threads(), out.data_ptr())
        ctx.save_for_backward(rows, b, th, bias, theta, k)
        ctx.geom = (alpha, T, repeat, K, S, dims, n, c, h, w, oh, ow)
        return out.permute(0, 1, 4, 2, 3) if dims == 4 else out.reshape(T, n, c)

    @staticmethod
    def backward(ctx, gy):
        rows, b, th, bias, theta, k = ctx.saved_tensors
        alpha, T, repeat, K, S, dims, n, c, h, w, oh, ow = ctx.geom
        gy = (gy.permute(0, 1, 3, 4, 2) if dims == 4 else gy).float().contiguous()
        covered = K >= S and h == (oh - 1) * S + K  # every input row is read by some window
        grad_rows = torch.empty_like(rows) if covered else torch.zeros_like(rows)
        dll = ckernel.load()
        partial = torch.empty((dll.lif_pool_tasks(n, h, w, c, K, S), 3, c), dtype=torch.float64)
        kf = float(k.item())
        dll.lif_pool_backward(gy.data_ptr(), rows.data_ptr(), int(repeat), b.data_ptr(), th.data_ptr(), T, n, h, w,
                              c, K, S, int(kf), 1.0 - 2.0**-kf, alpha, torch.get_num_threads(),
                              grad_rows.data_ptr(), partial.data_ptr())
        sums = partial.sum(0).float()  # (3, C), summed in a fixed order
        if dims == 4:
            grad_rows = grad_rows.permute((0, 3, 1, 2) if repeat else (0, 1, 4, 2, 3))
        grad_bias = sums[0].reshape(bias.shape) if ctx.needs_input_grad[1] else None
        grad_theta = sums[1].reshape(theta.shape) if ctx.needs_input_grad[2] else None
        grad_k = (sums[2].sum() * math.log(2.0) * 2.0**-kf).reshape(k.shape) if ctx.needs_input_grad[3] else None
        return grad_rows, grad_bias, grad_theta, grad_k, None, None, None, None, None


def lif(current: torch.Tensor, bias: torch.Tensor, theta: torch.Tensor, k: torch.Tensor, alpha: float,
        T: int | None = None, pool: tuple[int, int] | None = None) -> torch.Tensor:
    """Run the LIF recurrence over time, then the OR-pool ``pool = (kernel, stride)`` if given.

    ``current``: ``(T, N, C, ...)``, or ``(N, C, ...)`` with ``T`` given for a
    current that is the same at every timestep (the input layer's product,
    computed once); ``bias``, ``theta``: ``(C,)``; ``k`` the integer leak
    parameter (1..16, 16 = no leak). Returns spikes ``(T, N, C, ...)`` in {0, 1}
    (pooled: ``(T, N, C, OH, OW)``).
    """
    repeat = T is not None
    steps = T if repeat else current.shape[0]
    if pool is not None and current.dim() - (0 if repeat else 1) != 4:
        raise ValueError(f"lif: pooling needs conv currents (N, C, H, W) per step, got {tuple(current.shape)}")
    if uses_c_kernel(current):
        kernel, stride = pool or (1, 1)
        return LIFPoolC.apply(current, bias, theta, k, alpha, steps, repeat, kernel, stride)
    spikes = LIFTorch.apply(current, bias, theta, k, alpha, steps, repeat)
    if pool is None:
        return spikes
    return spike_pool(spikes.flatten(0, 1), *pool).unflatten(0, spikes.shape[:2])  # (T*N, C, H, W) pooled


def spike_pool(x: torch.Tensor, kernel: int, stride: int | None = None) -> torch.Tensor:
    """OR over ``kernel x kernel`` windows (stride ``stride``, default ``kernel``) of ``(B, C, H, W)`` spikes;
    gradients go to the first maximal input of each window."""
    return F.max_pool2d(x, kernel, stride or kernel)
