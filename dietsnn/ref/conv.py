"""Integer convolution and dense products (the ``a[t]`` of SPEC section 3).

Exact integer results: the products run through float64 BLAS, which is exact
because every partial sum is an integer far below 2**53 (checked), and are
returned as int64; larger bounds (up to 2**63) take numpy's exact int64
product. Layout is PyTorch's: inputs ``(N, C, H, W)``, weights
``(O, I, KH, KW)``; zero padding ``[top, left, bottom, right]``;
cross-correlation orientation.
"""

from __future__ import annotations

import numpy as np

_EXACT = 2.0**52


def _exact_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer matrix product, exact, via float64 BLAS."""
    bound = float(np.abs(a).max(initial=0)) * float(np.abs(b).sum(axis=0).max(initial=0))
    if bound >= _EXACT:
        # beyond float64's exact range: numpy's int64 product (no BLAS, slower), exact while the bound stays
        # below 2**63; the network file's loader keeps every layer's bound below 2**62
        if bound >= 2.0**63:
            raise OverflowError(f"integer product bound {bound:.3g} exceeds the int64 range")
        return np.matmul(a.astype(np.int64), b.astype(np.int64))
    return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)


def conv_output_size(size: int, kernel: int, stride: int, pad_lo: int, pad_hi: int) -> int:
    """Output length of one spatial axis."""
    return (size + pad_lo + pad_hi - kernel) // stride + 1


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
           pad: tuple[int, int, int, int]) -> np.ndarray:
    """``(N, C, H, W)`` -> ``(N, OH, OW, C*KH*KW)`` windows in ``(C, KH, KW)`` order."""
    kh, kw = kernel
    sh, sw = stride
    top, left, bottom, right = pad
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    oh = conv_output_size(h, kh, sh, top, bottom)
    ow = conv_output_size(w, kw, sw, left, right)
    if oh < 1 or ow < 1:
        raise ValueError(f"kernel {kernel} with padding {pad} does not fit input {h}x{w}")
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    win = win[:, :, ::sh, ::sw][:, :, :oh, :ow]  # (N, C, OH, OW, KH, KW)
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n, oh, ow, c * kh * kw)


def conv2d_int(x: np.ndarray, weight: np.ndarray, stride: tuple[int, int],
               pad: tuple[int, int, int, int]) -> np.ndarray:
    """Integer cross-correlation: ``(N, C, H, W)`` -> int64 ``(N, O, OH, OW)``."""
    o, i, kh, kw = weight.shape
    if x.shape[1] != i:
        raise ValueError(f"input has {x.shape[1]} channels, weight expects {i}")
    cols = im2col(x, (kh, kw), stride, pad)  # (N, OH, OW, I*KH*KW)
    out = _exact_matmul(cols.reshape(-1, cols.shape[-1]), weight.reshape(o, -1).T)
    return out.reshape(*cols.shape[:3], o).transpose(0, 3, 1, 2)


def dense_int(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Integer dense product: ``(N, I)`` -> int64 ``(N, O)``."""
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"input has {x.shape[1]} features, weight expects {weight.shape[1]}")
    return _exact_matmul(x, weight.T)
