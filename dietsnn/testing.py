"""Small random integer networks of every layer kind, for tests and hardware smoke checks (numpy only)."""

from __future__ import annotations

import os

import numpy as np

from .datasets import FMNIST_DIR
from .netfile import IntNetwork, Layer
from .vocab import Kind


def random_network(rng: np.random.Generator, T: int = 5, weight_bits: int = 4, in_shape=(1, 8, 8),
                   per_channel: bool = True, kernel: int = 3, stride: int = 1, pad: int = 1,
                   pool: bool = True, leaks=(3, 0, 2), pool_kernel=(2, 2), pool_stride=(2, 2)) -> IntNetwork:
    """conv (image) -> [pool (``pool_kernel`` window, ``pool_stride``)] -> conv (spikes) -> dense LIF -> output,
    with random integers."""
    lim = 2 ** (weight_bits - 1) - 1
    c, h, w = in_shape

    def weights(*shape):
        return rng.integers(-lim, lim + 1, size=shape).astype(np.int64)

    def theta(o, scale):
        if per_channel:
            return rng.integers(max(1, scale // 2), scale + 1, size=o).astype(np.int64)
        return np.full(o, scale, dtype=np.int64)

    layers = [Layer("conv1", Kind.INPUT_LIF, (kernel, kernel), (stride, stride), (pad, pad, pad, pad), leaks[0],
                    weights(4, c, kernel, kernel), rng.integers(-50, 50, 4), theta(4, 300))]
    shape = layers[0].output_shape(in_shape)
    if pool:
        layers.append(Layer("pool1", Kind.SPIKE_MAXPOOL, tuple(pool_kernel), tuple(pool_stride)))
        shape = layers[-1].output_shape(shape)
    layers.append(Layer("conv2", Kind.LIF_CONV, (kernel, kernel), (1, 1), (pad, pad, pad, pad), leaks[1],
                        weights(6, 4, kernel, kernel), rng.integers(-3, 4, 6), theta(6, 8)))
    shape = layers[-1].output_shape(shape)
    fan = int(np.prod(shape))
    layers.append(Layer("fc1", Kind.LIF_DENSE, leak_shift=leaks[2], weight=weights(5, fan),
                        bias=rng.integers(-2, 3, 5), theta=theta(5, 6)))
    layers.append(Layer("fc2", Kind.OUTPUT_ACCUMULATE, weight=weights(3, 5), bias=rng.integers(-2, 3, 3)))
    return IntNetwork(T=T, input_shape=tuple(in_shape), input_bits=8, layers=tuple(layers), weight_bits=weight_bits)


def fmnist_available() -> bool:
    """Whether Debian's dataset-fashion-mnist is installed."""
    return os.path.isdir(FMNIST_DIR)
