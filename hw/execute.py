"""Python execution of a lowered (and folded) FINN dataflow graph, one image at a time.

FINN's specialized RTL nodes (padding, sliding window, FIFOs, width
converters) run their Python model only in ``exec_mode = "cppsim"``; the
project's ops run theirs in that mode too.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp

from . import finn_ops  # noqa: F401  (registers the project's ops into FINN's domains)
from .exact import exact_ints


def set_python_exec(model: ModelWrapper) -> ModelWrapper:
    for node in model.graph.node:
        inst = getCustomOp(node)
        if "exec_mode" in inst.get_nodeattr_types():
            inst.set_nodeattr("exec_mode", "cppsim")
    return model


def execute_dataflow(model: ModelWrapper, images: np.ndarray, progress: bool = False) -> np.ndarray:
    """Scores (int64 ``(N, classes)``) of the dataflow graph on NCHW uint8 images."""
    model = set_python_exec(model)
    inp = model.graph.input[0].name
    out = model.graph.output[0].name
    shape = model.get_tensor_shape(inp)
    x = np.asarray(images).transpose(0, 2, 3, 1)  # NCHW -> NHWC stream order
    if tuple(x.shape[1:]) != tuple(shape[1:]):
        raise ValueError(f"images: expected (N, {shape[3]}, {shape[1]}, {shape[2]}) for this dataflow graph, "
                         f"got {tuple(images.shape)}")
    it = range(len(x))
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc="dataflow", leave=False, mininterval=2.0)
    # pixels in the float32 input tensor (exact: at most 16 bits); scores come back as int64, exactly
    scores = [exact_ints(execute_onnx(model, {inp: x[i:i + 1].astype(np.float32)})[out], "dataflow scores")
              .reshape(1, -1) for i in it]
    return np.concatenate(scores) if scores else np.zeros((0, model.get_tensor_shape(out)[-1]), np.int64)
