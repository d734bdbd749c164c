"""Integer LIF neuron of SPEC section 3, the one reference every level reuses.

For one neuron with input current ``a[t]``, bias ``b``, threshold ``theta`` and
leak shift ``k``, starting from ``u[-1] = 0`` and ``o[-1] = 0``::

    u[t] = leak_k(u[t-1]) + a[t] + b - theta * o[t-1]
    o[t] = 1 if u[t] > theta else 0

with ``leak_k(u) = u`` for ``k = 0`` and ``u - (u >> k)`` otherwise (arithmetic
shift, rounds toward minus infinity).

>>> import numpy as np
>>> a = np.full((4, 1, 1), 4)          # (T, N, C): a constant current of 4
>>> lif_sequence(a, bias=np.array([0]), theta=np.array([6]), leak_shift=0)[0].ravel()
array([0, 1, 0, 1], dtype=uint8)
"""

from __future__ import annotations

import numpy as np

from ..vocab import MAX_LEAK_SHIFT, MIN_LEAK_SHIFT


def check_leak_shift(k: int) -> int:
    """Return ``k`` as an int if it is a valid leak shift, else raise."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"leak_shift must be an integer in {MIN_LEAK_SHIFT}..{MAX_LEAK_SHIFT}, not {k!r}")
    if not MIN_LEAK_SHIFT <= int(k) <= MAX_LEAK_SHIFT:
        raise ValueError(f"leak_shift must be in {MIN_LEAK_SHIFT}..{MAX_LEAK_SHIFT}, not {k!r}")
    return int(k)


def leak(u: np.ndarray, k: int) -> np.ndarray:
    """``leak_k(u)``: ``u`` for ``k = 0``, else ``u - (u >> k)`` on int64."""
    k = check_leak_shift(k)
    u = np.asarray(u, dtype=np.int64)
    if k == 0:
        return u
    return u - (u >> k)


def lif_sequence(
    current: np.ndarray,
    bias: np.ndarray,
    theta: np.ndarray,
    leak_shift: int,
    channel_axis: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the LIF recurrence over the leading time axis.

    ``current``: integer array ``(T, ...)``; ``bias`` and ``theta`` are
    per-channel vectors broadcast along ``channel_axis`` of one timestep's
    slice (axis 1 of ``current``'s slice ``(N, C, ...)`` by default).
    Returns ``(spikes, membrane)``: uint8 spikes and the int64 membrane
    ``u[t]``, both ``(T, ...)``.
    """
    current = np.asarray(current)
    if current.dtype.kind not in "iu":
        raise TypeError(f"LIF current must be an integer array, not {current.dtype}")
    if current.ndim < 2:
        raise ValueError(f"LIF current must be (T, ...), got shape {current.shape}")
    step_ndim = current.ndim - 1
    shape = [1] * step_ndim
    shape[channel_axis] = -1
    b = np.asarray(bias, dtype=np.int64).reshape(shape)
    th = np.asarray(theta, dtype=np.int64).reshape(shape)
    if np.any(th <= 0):
        raise ValueError("theta must be positive in every channel")
    k = check_leak_shift(leak_shift)
    u = np.zeros(current.shape[1:], dtype=np.int64)
    o = np.zeros(current.shape[1:], dtype=np.int64)
    spikes = np.empty(current.shape, dtype=np.uint8)
    membrane = np.empty(current.shape, dtype=np.int64)
    for t in range(current.shape[0]):
        u = leak(u, k) + current[t].astype(np.int64) + b - th * o
        o = (u > th).astype(np.int64)
        spikes[t] = o
        membrane[t] = u
    return spikes, membrane
