"""Reference compute-energy model of SPEC section 7.

``E_MAC = 4.6 pJ``, ``E_AC = 0.9 pJ`` (45 nm). The SNN's first layer counts its
MACs once (the image product is computed once and integrated ``T`` times);
every other weighted layer counts one AC per input spike per fan-out, from
measured spikes. The ANN twin counts one MAC per multiply-accumulate.
"""

from __future__ import annotations

import numpy as np

from ..netfile import IntNetwork, Layer
from ..vocab import Kind
from .conv import conv2d_int

E_MAC_PJ = 4.6
E_AC_PJ = 0.9


def layer_macs(layer: Layer, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one image through a weighted layer (ANN counting)."""
    fan_in = int(np.prod(layer.weight.shape[1:]))
    return fan_in * int(np.prod(out_shape))


def synaptic_ops(layer: Layer, spikes: np.ndarray) -> int:
    """ACs caused by input spikes ``(T, N, ...)``: each spike times the outputs it reaches."""
    if layer.is_conv:
        t, n, c, h, w = spikes.shape
        per_pos = spikes.reshape(t * n, c, h, w).sum(axis=1, keepdims=True).astype(np.int64)
        ones = np.ones((1, 1, *layer.kernel), dtype=np.int64)
        reach = conv2d_int(per_pos, ones, layer.stride, layer.pad)  # spikes in each output window
        return int(reach.sum()) * int(layer.weight.shape[0])
    return int(spikes.sum()) * int(layer.weight.shape[0])


def energy_report(net: IntNetwork, synops: dict[str, int], n_images: int) -> dict:
    """Per-image energy of the SNN and its ANN twin, and their ratio."""
    shapes = net.shapes()
    ann_macs = snn_macs = snn_acs = 0
    per_layer = []
    for i, layer in enumerate(net.layers):
        if not layer.has_weights:
            continue
        macs = layer_macs(layer, shapes[i], shapes[i + 1])
        ann_macs += macs
        if layer.kind is Kind.INPUT_LIF:
            snn_macs += macs
            per_layer.append({"name": layer.name, "ann_macs": macs, "snn_macs": macs, "snn_acs": 0.0})
        else:
            acs = synops.get(layer.name, 0) / max(n_images, 1)
            snn_acs += acs
            per_layer.append({"name": layer.name, "ann_macs": macs, "snn_macs": 0, "snn_acs": acs})
    e_ann = ann_macs * E_MAC_PJ
    e_snn = snn_macs * E_MAC_PJ + snn_acs * E_AC_PJ
    return {"E_MAC_pJ": E_MAC_PJ, "E_AC_pJ": E_AC_PJ, "ann_macs": ann_macs, "snn_macs": snn_macs,
            "snn_acs": snn_acs, "ann_energy_pJ": e_ann, "snn_energy_pJ": e_snn,
            "ann_over_snn": e_ann / e_snn if e_snn else float("inf"), "layers": per_layer}
