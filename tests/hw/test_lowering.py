"""Three-way identity golden == QONNX execution == Python execution of the folded FINN dataflow graph."""

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from dietsnn.testing import random_network
from dietsnn.ref import run_network
from hw.compile import CompileOptions, build_dataflow
from hw.execute import execute_dataflow
from hw.qonnx_export import execute_qonnx

CASES = [  # (T, weight bits, kernel, stride, pad, pool, per-channel threshold, input shape, fps)
    (1, 4, 3, 1, 1, True, True, (1, 8, 8), 5e5),
    (5, 2, 3, 1, 1, True, False, (1, 8, 8), 5e5),
    (8, 8, 5, 2, 2, False, True, (2, 10, 10), 2e5),
    (5, 3, 1, 1, 0, True, True, (3, 6, 6), 1e6),
    (8, 6, 3, 2, 0, False, False, (1, 9, 9), 1e5),
    (5, 5, 2, 1, 0, True, True, (2, 9, 9), 1e6),
    (5, 4, 3, 1, 1, True, True, (1, 12, 12), 9.5e5),  # very parallel folding: 210 cycles per frame
]


@pytest.mark.parametrize("T,bits,kernel,stride,pad,pool,per_channel,shape,fps", CASES)
def test_three_levels_agree(rng, T, bits, kernel, stride, pad, pool, per_channel, shape, fps):
    net = random_network(rng, T=T, weight_bits=bits, in_shape=shape, per_channel=per_channel,
                         kernel=kernel, stride=stride, pad=pad, pool=pool)
    x = rng.integers(0, 256, (4, *shape)).astype(np.uint8)
    golden = run_network(net, x).scores
    assert np.array_equal(execute_qonnx(net, x), golden)
    res = build_dataflow(net, CompileOptions(fps=fps))
    assert np.array_equal(execute_dataflow(res.model, x), golden)
    assert res.report["meets_target"]


def test_lowered_graph_uses_finn_layers_and_project_ops(rng):
    net = random_network(rng, T=5)
    model = build_dataflow(net, CompileOptions(fps=1e5)).model
    types = [n.op_type for n in model.graph.node if n.op_type != "StreamingFIFO_rtl"]
    assert "FMPadding_rtl" in types and "ConvolutionInputGenerator_rtl" in types
    for t in ("SnnInputMVU_rtl", "SnnSpikePool_rtl", "SnnLIFMVU_rtl", "SnnOutputMVU_rtl"):
        assert t in types
    mvu = next(n for n in model.graph.node if n.op_type == "SnnLIFMVU_rtl")
    inst = getCustomOp(mvu)
    assert inst.get_nodeattr("MW") % inst.get_nodeattr("SIMD") == 0
    assert inst.get_instream_width() == inst.get_nodeattr("SIMD") * 5  # T-bit words


def test_hls_variants_are_selectable(rng):
    net = random_network(rng, T=5)
    model = build_dataflow(net, CompileOptions(fps=1e5, impl="hls")).model
    assert {"SnnInputMVU_hls", "SnnLIFMVU_hls", "SnnOutputMVU_hls", "SnnSpikePool_hls"} <= {n.op_type for n in model.graph.node}
    x = rng.integers(0, 256, (2, *net.input_shape)).astype(np.uint8)
    assert np.array_equal(execute_dataflow(model, x), run_network(net, x).scores)


def test_dense_after_feature_map_reads_nhwc_order(rng):
    # a dense layer that sees a 4x4x6 feature map: the weight permutation must match PyTorch's (C, H, W) flatten
    net = random_network(rng, T=4, pool=False, in_shape=(1, 4, 4))
    x = rng.integers(0, 256, (3, 1, 4, 4)).astype(np.uint8)
    model = build_dataflow(net, CompileOptions(fps=1e5)).model
    assert np.array_equal(execute_dataflow(model, x), run_network(net, x).scores)
