"""Stream formats of SPEC section 5, in numpy (the driver and every testbench use these).

- Layout NHWC, channels innermost.
- A spike-train element is one unsigned ``T``-bit word per channel: bit ``t``
  (LSB = ``t = 0``) is the spike at timestep ``t``.
- Folding packs ``n`` elements of ``bits`` bits per beat, element 0 in the
  least-significant bits (as FINN packs them).
"""

from __future__ import annotations

import numpy as np


def spike_words(spikes: np.ndarray) -> np.ndarray:
    """``(T, ...)`` spikes in {0, 1} -> ``(...)`` int64 words with bit ``t`` = spike at ``t`` (same layout)."""
    spikes = np.asarray(spikes)
    T = spikes.shape[0]
    if T > 62:
        raise ValueError(f"T must be at most 62 to pack into int64 words, not {T}")
    if spikes.size and (spikes.min() < 0 or spikes.max() > 1):
        raise ValueError("spikes must be 0 or 1")
    weights = (np.int64(1) << np.arange(T, dtype=np.int64)).reshape((T,) + (1,) * (spikes.ndim - 1))
    return (spikes.astype(np.int64) * weights).sum(axis=0)


def word_spikes(words: np.ndarray, T: int) -> np.ndarray:
    """Inverse of ``spike_words``: ``(...)`` words -> ``(T, ...)`` uint8 spikes."""
    w = np.asarray(words)
    if w.dtype.kind == "f":
        if not np.array_equal(w, np.rint(w)):
            raise ValueError("spike words must be integers")
    w = w.astype(np.int64)
    if w.size and (int(w.min()) < 0 or int(w.max()) >= 1 << T):
        raise ValueError(f"word {int(w.max()) if int(w.min()) >= 0 else int(w.min())} does not fit in T={T} bits")
    bits = (w[None] >> np.arange(T, dtype=np.int64).reshape((T,) + (1,) * w.ndim)) & 1
    return bits.astype(np.uint8)


def pack_spike_trains(spikes: np.ndarray) -> np.ndarray:
    """``(T, N, C, H, W)`` or ``(T, N, F)`` spikes -> NHWC ``(N, H, W, C)`` / ``(N, F)`` T-bit words."""
    words = spike_words(spikes)
    return words.transpose(0, 2, 3, 1) if words.ndim == 4 else words


def unpack_spike_trains(words: np.ndarray, T: int) -> np.ndarray:
    """Inverse of ``pack_spike_trains``: NHWC (or ``(N, F)``) words -> ``(T, N, C, H, W)`` uint8 spikes."""
    words = np.asarray(words)
    if words.ndim == 4:
        words = words.transpose(0, 3, 1, 2)
    return word_spikes(words, T)


def image_to_stream(images: np.ndarray) -> np.ndarray:
    """``(N, C, H, W)`` image -> NHWC element order."""
    return np.ascontiguousarray(np.asarray(images).transpose(0, 2, 3, 1))


def pack_beats(elements: np.ndarray, bits: int, per_beat: int, signed: bool = False) -> list[int]:
    """Pack a flat element sequence into beats of ``per_beat`` ``bits``-bit fields, element 0 in the LSBs.

    Returns Python ints (beats may be wider than 64 bits). Values outside the
    field's range are an error, never wrapped.
    """
    flat = np.asarray(elements).reshape(-1)
    if flat.size % per_beat:
        raise ValueError(f"{flat.size} elements do not fill beats of {per_beat}")
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if flat.size and (int(flat.min()) < lo or int(flat.max()) > hi):
        raise ValueError(f"values {int(flat.min())}..{int(flat.max())} do not fit {'signed' if signed else 'unsigned'} {bits}-bit fields")
    mask = (1 << bits) - 1
    beats = []
    for start in range(0, flat.size, per_beat):
        word = 0
        for i, v in enumerate(flat[start:start + per_beat].tolist()):
            word |= (int(v) & mask) << (i * bits)
        beats.append(word)
    return beats


def unpack_beats(beats: list[int], bits: int, per_beat: int, signed: bool = False) -> np.ndarray:
    """Inverse of ``pack_beats``: int64 elements."""
    mask = (1 << bits) - 1
    out = []
    for word in beats:
        for i in range(per_beat):
            v = (int(word) >> (i * bits)) & mask
            if signed and v >> (bits - 1):
                v -= 1 << bits
            out.append(v)
    return np.array(out, dtype=np.int64)
