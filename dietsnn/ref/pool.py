"""Spike max-pooling of SPEC section 4: OR of the window at each timestep."""

from __future__ import annotations

import numpy as np


def spike_maxpool(spikes: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """``(..., H, W)`` spikes in {0, 1} -> OR over ``kernel`` windows (no padding)."""
    kh, kw = kernel
    sh, sw = stride
    h, w = spikes.shape[-2:]
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"pool window {kernel} does not fit input {h}x{w}")
    win = np.lib.stride_tricks.sliding_window_view(spikes, (kh, kw), axis=(-2, -1))
    return win[..., ::sh, ::sw, :, :][..., :oh, :ow, :, :].max(axis=(-2, -1))
