"""The trained DIET-SNN as an ``IntNetwork`` (SPEC section 8).

Uses the very integer parameters the model's forward pass uses
(``int_params``), so the exported file computes what the eval-mode model
computes.
"""

from __future__ import annotations

import numpy as np
import torch

from dietsnn.netfile import IntNetwork, Layer
from dietsnn.vocab import Kind

from .model import DietSNN, SpikePool, SpikingConv


def _int(t: torch.Tensor) -> np.ndarray:
    a = t.detach().cpu().double().numpy()
    r = np.rint(a)
    if not np.array_equal(a, r):
        raise AssertionError("integer parameter is not integral")  # internal invariant
    return r.astype(np.int64)


@torch.no_grad()
def to_int_network(snn: DietSNN) -> IntNetwork:
    """The integer network of the eval-mode model.

    Its parameters come from elementwise IEEE operations (abs-max, division,
    rounding), so a model gives the same network on any device and thread count.
    """
    layers = []
    for layer in snn.layers:
        if isinstance(layer, SpikePool):
            k, s = layer.kernel, layer.stride
            layers.append(Layer(name=layer.name, kind=Kind.SPIKE_MAXPOOL, kernel=(k, k), stride=(s, s)))
            continue
        w, b, th, _ = layer.int_params()
        layer.check_exact(w, b, th, snn.T)
        if isinstance(layer, SpikingConv):
            c = layer.layer
            p0, p1 = c.padding
            layers.append(Layer(name=layer.name, kind=layer.kind, kernel=tuple(c.kernel_size),
                                stride=tuple(c.stride), pad=(p0, p1, p0, p1),
                                leak_shift=layer.export_leak_shift(),
                                weight=_int(w), bias=_int(b), theta=_int(th)))
        else:
            kw = {}
            if layer.spiking:
                kw = {"leak_shift": layer.export_leak_shift(), "theta": _int(th)}
            layers.append(Layer(name=layer.name, kind=layer.kind, weight=_int(w), bias=_int(b), **kw))
    return IntNetwork(T=snn.T, input_shape=tuple(snn.input_shape), input_bits=snn.cfg.input_bits,
                      layers=tuple(layers), weight_bits=snn.cfg.weight_bits)
