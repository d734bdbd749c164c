"""The integer golden model: a whole ``IntNetwork`` on a batch of images.

Composes the per-op references (``lif``, ``conv``, ``pool``, ``accumulate``)
in the order of the network file. Spike trains are kept as ``(T, N, C, H, W)``
(or ``(T, N, F)``) arrays of 0/1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..netfile import IntNetwork, Layer
from ..vocab import Kind
from .accumulate import output_accumulate, predict_label
from .conv import conv2d_int, dense_int
from .energy import synaptic_ops
from .lif import lif_sequence
from .pool import spike_maxpool


@dataclass
class GoldenResult:
    """What the golden model computed for a batch."""

    scores: np.ndarray  #: int64 (N, classes)
    pred: np.ndarray  #: int64 (N,)
    spike_counts: dict[str, int] = field(default_factory=dict)  #: output spikes per spiking layer
    synops: dict[str, int] = field(default_factory=dict)  #: ACs per weighted layer fed by spikes (SPEC 7)
    spikes: dict[str, np.ndarray] = field(default_factory=dict)  #: (T, N, ...) per layer when recorded


def check_images(net: IntNetwork, images: np.ndarray, what: str = "images") -> np.ndarray:
    """Validate an ``(N, C, H, W)`` integer image batch against the network's input."""
    images = np.asarray(images)
    if images.dtype.kind not in "iu":
        raise TypeError(f"{what}: expected integer pixels, got dtype {images.dtype}")
    if images.ndim != 4 or tuple(images.shape[1:]) != tuple(net.input_shape):
        raise ValueError(f"{what}: expected shape (N, {', '.join(map(str, net.input_shape))}), got {images.shape}")
    hi = 2**net.input_bits - 1
    if images.size and (images.min() < 0 or images.max() > hi):
        raise ValueError(f"{what}: pixel values must be in 0..{hi}, got {images.min()}..{images.max()}")
    return images.astype(np.int64)


def layer_current(layer: Layer, x: np.ndarray) -> np.ndarray:
    """Integer input current of a weighted layer for a batch (no time axis)."""
    if layer.is_conv:
        return conv2d_int(x, layer.weight, layer.stride, layer.pad)
    return dense_int(x.reshape(x.shape[0], -1), layer.weight)


def _over_time(fn, trains: np.ndarray) -> np.ndarray:
    """Apply a per-batch op to every timestep: (T, N, ...) -> (T, N, ...)."""
    t, n = trains.shape[:2]
    out = fn(trains.reshape(t * n, *trains.shape[2:]))
    return out.reshape(t, n, *out.shape[1:])


def run_layer(layer: Layer, x: np.ndarray, T: int) -> np.ndarray:
    """One layer: image ``(N, C, H, W)`` or spike trains ``(T, N, ...)`` in; spike trains or scores out."""
    if layer.kind is Kind.INPUT_LIF:
        a = layer_current(layer, x)
        current = np.broadcast_to(a, (T, *a.shape))  # same product every timestep
        return lif_sequence(current, layer.bias, layer.theta, layer.leak_shift)[0]
    if layer.kind is Kind.SPIKE_MAXPOOL:
        return spike_maxpool(x, layer.kernel, layer.stride)
    current = _over_time(lambda s: layer_current(layer, s), x)
    if layer.kind is Kind.OUTPUT_ACCUMULATE:
        return output_accumulate(current, layer.bias)
    return lif_sequence(current, layer.bias, layer.theta, layer.leak_shift)[0]


def run_network(net: IntNetwork, images: np.ndarray, record: bool = False,
                batch_size: int = 64, count_synops: bool = False) -> GoldenResult:
    """Scores, predictions and spike counts of ``net`` on ``images`` ``(N, C, H, W)``."""
    images = check_images(net, images)
    scores, counts, recorded, synops = [], {}, {}, {}
    for start in range(0, max(len(images), 1), batch_size):
        x = images[start:start + batch_size]
        if len(x) == 0:
            break
        for layer in net.layers:
            if count_synops and layer.has_weights and layer.kind is not Kind.INPUT_LIF:
                synops[layer.name] = synops.get(layer.name, 0) + synaptic_ops(layer, x)
            x = run_layer(layer, x, net.T)
            if layer.kind is not Kind.OUTPUT_ACCUMULATE:
                counts[layer.name] = counts.get(layer.name, 0) + int(x.sum())
                if record:
                    recorded.setdefault(layer.name, []).append(x)
        scores.append(x)
    s = np.concatenate(scores) if scores else np.zeros((0, net.num_classes), np.int64)
    spikes = {k: np.concatenate(v, axis=1) for k, v in recorded.items()}
    return GoldenResult(scores=s, pred=predict_label(s), spike_counts=counts, synops=synops, spikes=spikes)
