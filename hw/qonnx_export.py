"""The integer network as a QONNX model: the project's custom ops, int64 initializers with QONNX datatypes.

``to_qonnx(net)`` builds the ``ModelWrapper``; ``execute_qonnx`` runs it with
``qonnx.core.onnx_exec.execute_onnx`` (each custom op calls ``dietsnn.ref``).
Layout is NCHW as in QONNX; spike trains are UINT``T`` words.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.basic import get_preferred_onnx_opset, qonnx_make_model

from dietsnn.netfile import IntNetwork
from dietsnn.ref.widths import network_widths
from dietsnn.vocab import Kind

from .exact import check_float32_streams, exact_ints
from .qonnx_ops.base import DOMAIN
from .vocab import names

INPUT = "image"
OUTPUT = "scores"


def int_datatype(a: np.ndarray) -> DataType:
    """Smallest QONNX integer datatype holding every value of ``a``."""
    lo, hi = int(a.min(initial=0)), int(a.max(initial=0))
    if lo >= 0:
        return DataType[f"UINT{max(1, hi.bit_length())}"]
    bits = max((-lo - 1).bit_length(), hi.bit_length()) + 1
    return DataType[f"INT{max(2, bits)}"]


def to_qonnx(net: IntNetwork, batch: int = 1) -> ModelWrapper:
    """Build the QONNX model of ``net`` for ``batch`` images (refusing streams that float32 cannot carry)."""
    check_float32_streams(net)
    nodes, inits, annotations = [], [], {}
    widths = {w.name: w for w in network_widths(net)}
    prev = INPUT
    shape = tuple(net.input_shape)
    for layer in net.layers:
        if layer.kind.is_dense and len(shape) == 3:
            flat = f"{layer.name}_flat"
            nodes.append(helper.make_node("Flatten", [prev], [flat], axis=1, name=f"{layer.name}_flatten"))
            prev, shape = flat, (int(np.prod(shape)),)
        inputs = [prev]
        params = []
        if layer.has_weights:
            params += [("weight", layer.weight), ("bias", layer.bias)]
        if layer.is_lif:
            params.append(("theta", layer.theta))
        for suffix, value in params:
            name = f"{layer.name}.{suffix}"
            inits.append(helper.make_tensor(name, TensorProto.INT64, value.shape, value.astype(np.int64).ravel()))
            annotations[name] = (DataType[f"INT{net.weight_bits}"] if suffix == "weight" and net.weight_bits
                                 else int_datatype(value))
            inputs.append(name)
        attrs = {"T": net.T, "input_bits": net.input_bits, "in_shape": list(shape)}
        if layer.kind.has_window:
            attrs.update(kernel=list(layer.kernel), stride=list(layer.stride))
        if layer.is_conv:
            attrs["pad"] = list(layer.pad)
        if layer.is_lif:
            attrs["leak_shift"] = layer.leak_shift
        if layer.kind is Kind.OUTPUT_ACCUMULATE:
            attrs["score_bits"] = widths[layer.name].state_bits
        out = OUTPUT if layer is net.layers[-1] else f"{layer.name}_out"
        nodes.append(helper.make_node(names(layer.kind).qonnx_op, inputs, [out], name=layer.name, domain=DOMAIN, **attrs))
        prev, shape = out, layer.output_shape(shape)
    graph = helper.make_graph(
        nodes, "dietsnn",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, [batch, *net.input_shape])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [batch, net.num_classes])],
        initializer=inits)
    model = ModelWrapper(qonnx_make_model(
        graph, producer_name="dietsnn",
        opset_imports=[helper.make_opsetid("", get_preferred_onnx_opset()), helper.make_opsetid(DOMAIN, 1)]))
    model.set_tensor_datatype(INPUT, DataType[f"UINT{net.input_bits}"])
    for name, dt in annotations.items():
        model.set_tensor_datatype(name, dt)
    model = model.transform(InferShapes())
    model = model.transform(InferDataTypes())
    model.set_metadata_prop("dietsnn_T", str(net.T))
    return model


def save_qonnx(net: IntNetwork, path: str | Path) -> Path:
    path = Path(path)
    to_qonnx(net).save(str(path))
    return path


def execute_qonnx(net: IntNetwork, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Scores of ``net`` from ``execute_onnx`` on its QONNX model, int64 ``(N, classes)``."""
    from dietsnn.ref.network import check_images

    images = check_images(net, images)
    out = []
    models: dict[int, ModelWrapper] = {}
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size]
        model = models.setdefault(len(x), to_qonnx(net, batch=len(x)))
        res = execute_onnx(model, {INPUT: x.astype(np.float32)})[OUTPUT]
        out.append(exact_ints(res, "QONNX scores"))
    return np.concatenate(out) if out else np.zeros((0, net.num_classes), np.int64)
