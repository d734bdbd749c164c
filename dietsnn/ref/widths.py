"""Register widths of SPEC section 6.

For each layer: ``A_max = max_c sum(|W[c, :]|) * max_input`` and the state
bound ``|u| <= T * (A_max + max|b| + max theta) + max theta``; registers get
enough bits for the bound plus a sign bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..netfile import IntNetwork, Layer
from ..vocab import Kind


@dataclass(frozen=True)
class LayerWidths:
    """Bounds and signed register widths of one weighted layer."""

    name: str  #: layer name
    max_input: int  #: largest input value (2**bits_in - 1 for the image, 1 for spikes)
    acc_bound: int  #: A_max, largest |a[t]|
    state_bound: int  #: bound on |u[t]| (LIF) or |v| (output accumulator)
    acc_bits: int  #: signed bits holding a[t]
    state_bits: int  #: signed bits holding u[t] or v


def signed_bits(bound: int) -> int:
    """Smallest two's-complement width holding every value in ``-bound..bound``."""
    return int(bound).bit_length() + 1


def layer_widths(layer: Layer, max_input: int, T: int) -> LayerWidths:
    w = np.abs(layer.weight.reshape(layer.weight.shape[0], -1))
    acc = int(w.sum(axis=1).max(initial=0)) * int(max_input)
    max_b = int(np.abs(layer.bias).max(initial=0))
    if Kind(layer.kind) is Kind.OUTPUT_ACCUMULATE:
        state = T * (acc + max_b)
    else:
        max_th = int(layer.theta.max(initial=0))
        state = T * (acc + max_b + max_th) + max_th
    return LayerWidths(layer.name, int(max_input), acc, state, signed_bits(acc), signed_bits(state))


def network_widths(net: IntNetwork) -> list[LayerWidths]:
    """Widths of every weighted layer of ``net``, in order."""
    out = []
    for layer in net.layers:
        if layer.has_weights:
            out.append(layer_widths(layer, net.max_input(layer), net.T))
    return out
