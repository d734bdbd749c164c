"""Non-spiking output accumulator of SPEC section 3.

``v[c] = sum over t of (a[t] + b[c])``; the prediction is ``argmax_c v[c]``,
the lowest index on ties (numpy's ``argmax`` already picks it).
"""

from __future__ import annotations

import numpy as np


def output_accumulate(current: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``(T, N, C)`` integer currents -> int64 scores ``(N, C)``."""
    current = np.asarray(current, dtype=np.int64)
    return current.sum(axis=0) + current.shape[0] * np.asarray(bias, dtype=np.int64)


def predict_label(scores: np.ndarray) -> np.ndarray:
    """Lowest-index argmax over the last axis, int64."""
    return np.argmax(scores, axis=-1).astype(np.int64)
