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


def pack_frames(elements: np.ndarray, bits: int, per_beat: int, beat_bytes: int,
                signed: bool = False) -> np.ndarray:
    """Frames of elements ``(N, E)`` -> the bytes a DMA engine streams: ``(N, beats * beat_bytes)`` uint8.

    Each beat holds ``per_beat`` ``bits``-bit fields, element 0 in the LSBs,
    zero-padded to ``beat_bytes`` bytes and stored little-endian (byte 0 of
    memory is ``tdata[7:0]``, as Xilinx AXI DMA moves it). Vectorized
    ``pack_beats``; values outside the field's range are an error.
    """
    x = np.asarray(elements)
    if x.ndim != 2:
        raise ValueError(f"elements must be (frames, elements per frame), not shape {x.shape}")
    if x.dtype.kind not in "iub":
        raise ValueError(f"elements must be integers, not {x.dtype}")
    n, e = x.shape
    if e % per_beat:
        raise ValueError(f"{e} elements per frame do not fill beats of {per_beat}")
    if per_beat * bits > beat_bytes * 8:
        raise ValueError(f"{per_beat} x {bits}-bit fields do not fit a {beat_bytes}-byte beat")
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if x.size and (int(x.min()) < lo or int(x.max()) > hi):
        raise ValueError(f"values {int(x.min())}..{int(x.max())} do not fit {'signed' if signed else 'unsigned'} "
                         f"{bits}-bit fields")
    beats = e // per_beat
    v = x.astype(np.int64) & ((1 << bits) - 1)
    bit_planes = ((v[..., None] >> np.arange(bits, dtype=np.int64)) & 1).astype(np.uint8)  # (N, E, bits)
    bit_planes = bit_planes.reshape(n, beats, per_beat * bits)
    padded = np.zeros((n, beats, beat_bytes * 8), np.uint8)
    padded[..., :per_beat * bits] = bit_planes
    return np.packbits(padded, axis=-1, bitorder="little").reshape(n, beats * beat_bytes)


def unpack_frames(data: np.ndarray, bits: int, per_beat: int, beat_bytes: int, signed: bool = False) -> np.ndarray:
    """Inverse of ``pack_frames``: ``(N, beats * beat_bytes)`` uint8 -> ``(N, beats * per_beat)`` int64.

    The padding bits above the fields must be zero (a non-zero bit there means
    the stream format is not the one assumed): an error, never dropped.
    """
    d = np.asarray(data)
    if d.ndim != 2 or d.dtype != np.uint8:
        raise ValueError(f"data must be (frames, bytes) uint8, not shape {d.shape} {d.dtype}")
    n, nbytes = d.shape
    if nbytes % beat_bytes:
        raise ValueError(f"{nbytes} bytes per frame are not whole beats of {beat_bytes} bytes")
    beats = nbytes // beat_bytes
    planes = np.unpackbits(d.reshape(n, beats, beat_bytes), axis=-1, bitorder="little")
    if planes[..., per_beat * bits:].any():
        raise ValueError(f"non-zero padding bits above the {per_beat} x {bits}-bit fields of a beat")
    fields = planes[..., :per_beat * bits].reshape(n, beats * per_beat, bits).astype(np.int64)
    v = (fields << np.arange(bits, dtype=np.int64)).sum(axis=-1)
    if signed:
        v = np.where(v >> (bits - 1), v - (1 << bits), v)
    return v
