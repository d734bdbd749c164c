"""Read a QONNX model of the project's ops back into an ``IntNetwork`` (for ``dietsnn compile model.onnx``)."""

from __future__ import annotations

from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from dietsnn.netfile import IntNetwork

from .lower.check import CheckSupported, UnsupportedGraph
from .qonnx_ops.base import DOMAIN


def from_qonnx(model: ModelWrapper) -> IntNetwork:
    model.transform(CheckSupported())
    shape = model.get_tensor_shape(model.graph.input[0].name)
    if shape is None or len(shape) != 4:
        raise UnsupportedGraph(f"graph input {model.graph.input[0].name}: expected an NCHW image, got shape {shape}")
    layers, T, bits = [], None, None
    for node in model.graph.node:
        if node.domain != DOMAIN:
            continue
        inst = getCustomOp(node)
        if inst.get_nodeattr("data_layout") != "NCHW":
            raise UnsupportedGraph(f"node {node.name}: expected the exported NCHW model, got data_layout NHWC")
        params = []
        for name in node.input[1:]:
            value = model.get_initializer(name)
            if value is None:
                raise UnsupportedGraph(f"node {node.name}: parameter {name} is not an initializer")
            params.append(value)
        layers.append(inst.to_layer(params))
        T = T or inst.get_nodeattr("T")
        bits = bits or inst.get_nodeattr("input_bits")
        if inst.get_nodeattr("T") != T:
            raise UnsupportedGraph(f"node {node.name}: T={inst.get_nodeattr('T')} differs from the first layer's T={T}")
    wdt = model.get_tensor_datatype(model.graph.node[0].input[1]) if model.graph.node else None
    wbits = wdt.bitwidth() if wdt is not None and wdt.is_integer() and wdt.signed() else None
    return IntNetwork(T=T, input_shape=tuple(shape[1:]), input_bits=bits, layers=tuple(layers), weight_bits=wbits)


def load_network(path: str | Path) -> IntNetwork:
    """An ``IntNetwork`` from a ``.snn.npz`` file or a QONNX ``.onnx`` file of the project's ops."""
    path = Path(path)
    if path.suffix == ".onnx":
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such QONNX file")
        try:
            model = ModelWrapper(str(path))
        except Exception as e:  # noqa: BLE001 - any unreadable file is the same user error
            raise UnsupportedGraph(f"{path}: not a readable ONNX model ({e})") from e
        try:
            return from_qonnx(model)
        except (UnsupportedGraph, ValueError) as e:
            raise type(e)(f"{path}: {e}") from e
    return IntNetwork.load(path)
