"""A weighted layer in matrix form on stream vectors: what the MVU blocks compute.

``x``: ``(V, MW)`` input elements (pixels, or T-bit spike words), ``weight``:
``(MW, MH)`` (FINN's layout). Composes ``dense_int``, ``lif_sequence`` and
``output_accumulate``; the FINN ops' Python execution and the RTL/HLS
testbenches all call this.
"""

from __future__ import annotations

import numpy as np

from ..vocab import MvuMode
from .accumulate import output_accumulate, predict_label
from .conv import dense_int
from .lif import lif_sequence
from .streams import spike_words, word_spikes


def mvu_currents(x: np.ndarray, weight: np.ndarray, T: int, image: bool) -> np.ndarray:
    """``a[t]`` for every vector: int64 ``(T, V, MH)``."""
    x = np.asarray(x)
    if image:
        a = dense_int(np.rint(x).astype(np.int64), weight.T)  # once per vector, integrated T times
        return np.broadcast_to(a, (T, *a.shape))
    s = word_spikes(x, T)  # (T, V, MW)
    return dense_int(s.reshape(-1, x.shape[-1]), weight.T).reshape(T, x.shape[0], -1)


def mvu_layer(x, weight, bias, T: int, mode: str, theta=None, leak_shift: int = 0) -> np.ndarray:
    """``mode`` (a ``dietsnn.vocab.MvuMode`` or its string): ``input_lif`` / ``lif`` -> spike words ``(V, MH)``;
    ``scores`` -> ``(V, MH)``; ``label`` -> ``(V, 1)`` lowest-index argmax."""
    mode = MvuMode(mode)
    a = mvu_currents(x, weight, T, image=mode.image_input)
    if not mode.is_lif:
        scores = output_accumulate(a, bias)
        return predict_label(scores)[:, None] if mode is MvuMode.LABEL else scores
    spikes, _ = lif_sequence(a, bias, theta, leak_shift)
    return spike_words(spikes)
