"""What ``IMPL=hls`` refuses before Vitis HLS runs: layers whose weights are too large to embed as a C++ array.

The project's HLS kernels embed each layer's weights, biases and thresholds in
the generated C++ as constant arrays (``hw/templates/hls/snn_layer.cpp.j2``),
FINN's ``internal_embedded`` memory mode. Vitis HLS elaborates every element
of such an array in its front end; for fmnist's fc1 (256 x 3,136 weights of 4
bits, folded into a 3,584 x 224 table) that is a 2.7 MB initializer, which Vitis
HLS either takes very long on or runs out of memory with. FINN streams weights
this large from a separate memory (``internal_decoupled``: its ``memstream``
RTL reads a ``.dat`` file next to the MVU). This flow has no decoupled weight
memory for its HLS kernels; the RTL blocks (``IMPL=rtl``) keep their weights in
``$readmemh`` ROMs of any size. So a layer above ``MAX_EMBEDDED_WEIGHTS`` is
refused for ``IMPL=hls`` with an error naming the layer, its size and the cap.

The cap, 65,536 weights (2^16), lets through every layer of fmnist but fc1
(conv1 288, conv2 18,432, fc2 2,560 weights; fc1 802,816).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: the most weights one HLS layer may embed as a C++ array (FINN's internal_embedded memory mode)
MAX_EMBEDDED_WEIGHTS = 1 << 16


class HlsLayerTooLarge(ValueError):
    """An HLS layer's weights exceed what this flow embeds in C++."""


@dataclass(frozen=True)
class HlsWeights:
    layer: str  #: node name
    op_type: str  #: e.g. SnnLIFMVU_hls
    weights: int  #: weight values of the layer
    bits: int  #: weights x weight bits


def hls_weight_sizes(model) -> list[HlsWeights]:
    """The weights of every ``*_hls`` node of a compiled dataflow graph (qonnx ``ModelWrapper``) that has them."""
    out = []
    for node in model.graph.node:
        if not node.op_type.endswith("_hls") or len(node.input) < 2:
            continue
        w = model.get_initializer(node.input[1])
        if w is None:
            continue
        dt = model.get_tensor_datatype(node.input[1])
        out.append(HlsWeights(node.name, node.op_type, int(np.asarray(w).size), int(np.asarray(w).size) * dt.bitwidth()))
    return out


def check_hls_layers(model, source: str = "dataflow.onnx", cap: int | None = None) -> list[HlsWeights]:
    """Raise ``HlsLayerTooLarge`` naming every HLS layer with more than ``cap`` (default
    ``MAX_EMBEDDED_WEIGHTS``) weights; returns the sizes."""
    cap = MAX_EMBEDDED_WEIGHTS if cap is None else int(cap)
    sizes = hls_weight_sizes(model)
    over = [s for s in sizes if s.weights > cap]
    if over:
        what = "; ".join(f"{s.layer} ({s.op_type}): {s.weights:,} weights ({s.bits / 8 / 1024:,.0f} KiB)"
                         for s in over)
        raise HlsLayerTooLarge(
            f"{source}: IMPL=hls embeds each layer's weights as a C++ array, at most {cap:,} weights per layer "
            f"(Vitis HLS elaborates every element; FINN would stream such a table from a decoupled memory, "
            f"which this flow's HLS kernels do not have): {what}. Build with --impl rtl, whose weight ROMs "
            "have no such limit")
    return sizes
