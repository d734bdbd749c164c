"""Helpers shared by the lowering passes."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType

from dietsnn.netfile import Layer
from dietsnn.ref.widths import layer_widths
from dietsnn.vocab import Kind

from ..exact import exact_ints
from ..finn_ops import FINN_DOMAIN


def hw_node(op_type: str, inputs, outputs, name: str, **attrs):
    """A FINN hardware node (abstraction layer) in FINN's domain."""
    return helper.make_node(op_type, inputs, outputs, name=name, domain=FINN_DOMAIN, backend="fpgadataflow", **attrs)


def add_tensor(model, name: str, shape, dtype: DataType):
    model.graph.value_info.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape)))
    model.set_tensor_datatype(name, dtype)


def add_param(model, name: str, value: np.ndarray, dtype: DataType):
    model.set_initializer(name, exact_ints(value, name))  # int64: the network's integers, exactly
    model.set_tensor_datatype(name, dtype)


def layer_of(model, node, inst) -> Layer:
    """The ``Layer`` a QONNX node computes."""
    return inst.to_layer([model.get_initializer(i) for i in node.input[1:]])


def widths_of(layer: Layer, model, node, T: int):
    max_in = 2 ** int(getattr_int(node, "input_bits", 8)) - 1 if layer.kind is Kind.INPUT_LIF else 1
    return layer_widths(layer, max_in, T)


def getattr_int(node, name: str, default: int) -> int:
    for a in node.attribute:
        if a.name == name:
            return int(a.i)
    return default
