"""Shared parts of the project's QONNX custom ops (domain ``hw.qonnx_ops``).

Tensors are NCHW (or ``(N, F)``) as in QONNX; a spike train is one UINT``T``
word per channel (bit ``t`` = spike at timestep ``t``, SPEC section 5). Every
``execute_node`` turns its node back into a ``dietsnn.netfile.Layer`` and calls
the one reference implementation (``dietsnn.ref.run_layer``): there is no
second copy of the LIF math here.
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp

from dietsnn.netfile import Layer
from dietsnn.ref.network import run_layer
from dietsnn.ref.streams import spike_words, word_spikes
from dietsnn.vocab import MAX_T, MIN_T, Kind

from ..exact import exact_ints

DOMAIN = "hw.qonnx_ops"


as_int = exact_ints  #: an int64 copy of an integer tensor, exact or refused (``hw.exact``)


class SNNOp(CustomOp):
    """Base of the spiking ops: attribute table, layer reconstruction, execution."""

    kind: Kind  #: the ``Layer.kind`` this op stands for

    def get_nodeattr_types(self):
        return {
            "T": ("i", True, 5),
            "kernel": ("ints", False, [1, 1]),
            "stride": ("ints", False, [1, 1]),
            "pad": ("ints", False, [0, 0, 0, 0]),
            "leak_shift": ("i", False, 0),
            "input_bits": ("i", False, 8),
            "in_shape": ("ints", True, []),  #: input shape without the batch axis, (C, H, W) or (F,)
            "data_layout": ("s", False, "NCHW", {"NCHW", "NHWC"}),  #: layout of 4-D inputs and outputs
        }

    # ---------------------------------------------------------------- helpers
    def _init(self, model, i):
        name = self.onnx_node.input[i]
        value = model.get_initializer(name)
        if value is None:
            raise ValueError(f"node {self.onnx_node.name}: input {i} ({name}) must be an initializer")
        return value

    def to_layer(self, values: list[np.ndarray]) -> Layer:
        """The ``Layer`` this node computes, from its parameter inputs (weight, bias[, theta])."""
        kw = {}
        if self.kind.has_weights:
            kw["weight"] = as_int(values[0], f"{self.onnx_node.name}.weight")
            kw["bias"] = as_int(values[1], f"{self.onnx_node.name}.bias")
        if self.kind.is_lif:
            kw["theta"] = as_int(values[2], f"{self.onnx_node.name}.theta")
            kw["leak_shift"] = int(self.get_nodeattr("leak_shift"))
        if self.kind.has_window:
            kw["kernel"] = tuple(self.get_nodeattr("kernel"))
            kw["stride"] = tuple(self.get_nodeattr("stride"))
        if self.kind.is_conv:
            kw["pad"] = tuple(self.get_nodeattr("pad"))
        return Layer(name=self.onnx_node.name, kind=self.kind, **kw)

    def out_shape(self, batch: int, values) -> tuple[int, ...]:
        layer = self.to_layer(values)
        if self.kind.is_dense:
            return (batch, int(layer.weight.shape[0]))
        c, h, w = layer.output_shape(tuple(self.get_nodeattr("in_shape")))
        return (batch, h, w, c) if self.nhwc else (batch, c, h, w)

    @property
    def nhwc(self) -> bool:
        return self.get_nodeattr("data_layout") == "NHWC" and not self.kind.is_dense

    def _params(self, model) -> list[np.ndarray]:
        return [self._init(model, i) for i in range(1, len(self.onnx_node.input))]

    # ---------------------------------------------------------------- CustomOp API
    def make_shape_compatible_op(self, model):
        batch = model.get_tensor_shape(model.graph.input[0].name)[0]  # intermediate shapes are not known yet
        shape = self.out_shape(batch, self._params(model))
        return helper.make_node("RandomNormal", [], [self.onnx_node.output[0]], mean=0.0, scale=1.0,
                                dtype=1, shape=list(shape))

    def infer_node_datatype(self, model):
        model.set_tensor_datatype(self.onnx_node.output[0], self.output_datatype(model))

    def output_datatype(self, model) -> DataType:
        return DataType[f"UINT{int(self.get_nodeattr('T'))}"]

    def execute_node(self, context, graph):
        node = self.onnx_node
        T = int(self.get_nodeattr("T"))
        x = context[node.input[0]]
        if self.nhwc:
            x = x.transpose(0, 3, 1, 2)  # NHWC -> NCHW for the reference
        layer = self.to_layer([context[n] for n in node.input[1:]])
        if self.kind is Kind.INPUT_LIF:
            inp = as_int(x, f"{node.name} input")
        else:
            inp = word_spikes(x, T)  # (T, N, ...)
        out = run_layer(layer, inp, T)
        if self.kind is not Kind.OUTPUT_ACCUMULATE:
            out = spike_words(out)
        if self.nhwc:
            out = out.transpose(0, 2, 3, 1)
        # spike words (< 2^T <= 2^16) in the float32 QONNX tensors; scores as int64, exact at any width
        dtype = np.int64 if self.kind is Kind.OUTPUT_ACCUMULATE else np.float32
        context[node.output[0]] = np.ascontiguousarray(out).astype(dtype)

    def verify_node(self):
        info = []
        T = self.get_nodeattr("T")
        if not MIN_T <= T <= MAX_T:
            info.append(f"T must be in {MIN_T}..{MAX_T}, not {T}")
        return info
