"""Pools whose window differs from their stride (overlapping, gapped, non-square) at every level: the golden
model, QONNX, the dataflow graph (FINN's Python execution), both backends' compile-time checks, and the
stitched RTL accelerator under Verilator, each identical to the golden scores."""

import numpy as np
import pytest

from dietsnn.ref import run_network
from dietsnn.ref.pool import spike_maxpool
from dietsnn.testing import random_network
from flow.predict import predict_scores
from hw.compile import CompileOptions, build_dataflow

POOLS = [  # (kernel, stride)
    ((3, 3), (2, 2)),  # overlapping, the common 3x3/2
    ((2, 3), (1, 2)),  # non-square window and stride, overlapping
    ((2, 2), (3, 3)),  # gapped: rows and columns between windows dropped
    ((3, 1), (1, 2)),  # overlapping rows, gapped columns
]
IN_SHAPE = (1, 9, 11)


def _net(seed, kernel, stride, T=5):
    rng = np.random.default_rng(seed)
    return random_network(rng, T=T, in_shape=IN_SHAPE, pool_kernel=kernel, pool_stride=stride), rng


def _images(rng, n):
    return rng.integers(0, 256, (n, *IN_SHAPE)).astype(np.uint8)


def test_reference_pool_window_and_stride_to_the_bit():
    """The reference against a direct loop over SPEC section 4: OR of window (oh*SH.., ow*SW..), floor size."""
    rng = np.random.default_rng(0)
    s = (rng.random((3, 2, 4, 9, 11)) < 0.2).astype(np.uint8)
    for (kh, kw), (sh, sw) in POOLS + [((2, 2), (2, 2)), ((9, 11), (1, 1))]:
        oh, ow = (9 - kh) // sh + 1, (11 - kw) // sw + 1
        want = np.zeros((3, 2, 4, oh, ow), np.uint8)
        for i in range(oh):
            for j in range(ow):
                want[..., i, j] = s[..., i * sh:i * sh + kh, j * sw:j * sw + kw].max(axis=(-2, -1))
        assert np.array_equal(spike_maxpool(s, (kh, kw), (sh, sw)), want), ((kh, kw), (sh, sw))


@pytest.mark.parametrize("kernel,stride", POOLS, ids=lambda v: "x".join(map(str, v)))
def test_qonnx_and_dataflow_equal_golden(kernel, stride):
    net, rng = _net(11, kernel, stride)
    images = _images(rng, 6)
    golden = run_network(net, images)
    for level in ("qonnx", "dataflow"):
        scores, pred = predict_scores(net, images, level)
        assert np.array_equal(scores, golden.scores), level
        assert np.array_equal(pred, golden.pred), level


@pytest.mark.parametrize("impl", ["rtl", "hls"])
@pytest.mark.parametrize("kernel,stride", POOLS, ids=lambda v: "x".join(map(str, v)))
def test_compile_accepts_the_pool_for_both_backends(kernel, stride, impl):
    """``compile`` checks every block for its backend (``check_folding``): these pools build with either."""
    net, _ = _net(3, kernel, stride)
    res = build_dataflow(net, CompileOptions(impl=impl, fps=1e6))  # 200 cycles: the pool is folded, PE > 1
    (pool,) = [l for l in res.report["layers"] if l["layer"] == "pool1"]
    assert pool["kind"] == "SnnSpikePool" and pool["PE"] > 1
    h, w = net.layers[0].output_shape(IN_SHAPE)[1:]
    assert pool["cycles"] == h * w * 4 // pool["PE"]  # one input beat per cycle, whatever the window


def _two_pool_network(seed: int):
    """conv1 -> pool1 3x3/2 (overlapping) -> conv2 -> pool2 2x3/(1,2) (non-square) -> fc1 -> fc2, on 1x11x13."""
    from dataclasses import replace

    from dietsnn.netfile import IntNetwork, Layer
    from dietsnn.vocab import Kind

    rng = np.random.default_rng(seed)
    base = random_network(rng, T=5, in_shape=(1, 11, 13), pool_kernel=(3, 3), pool_stride=(2, 2))
    conv1, pool1, conv2, fc1, fc2 = base.layers
    pool2 = Layer("pool2", Kind.SPIKE_MAXPOOL, (2, 3), (1, 2))
    shape = (1, 11, 13)
    for layer in (conv1, pool1, conv2, pool2):
        shape = layer.output_shape(shape)
    fan = int(np.prod(shape))  # 6 x 4 x 2
    fc1 = replace(fc1, weight=rng.integers(-7, 8, (fc1.weight.shape[0], fan)).astype(np.int64))
    net = IntNetwork(T=base.T, input_shape=base.input_shape, input_bits=base.input_bits,
                     layers=(conv1, pool1, conv2, pool2, fc1, fc2), weight_bits=base.weight_bits)
    return net, rng


def test_stitched_rtl_with_overlapping_and_non_square_pools_equals_golden(tmp_path):
    """compile -> stitch -> the Verilator harness of the accelerator (``predict --level rtl``): every score."""
    from flow.stitch import stitch_build
    from hw.compile import compile_network

    net, rng = _two_pool_network(21)
    path = net.save(tmp_path / "net.snn.npz")
    report = compile_network(path, tmp_path / "build", CompileOptions(fps=2e5))
    pools = {l["layer"]: l for l in report["layers"] if l["kind"] == "SnnSpikePool"}
    assert set(pools) == {"pool1", "pool2"}
    stitch_build(tmp_path / "build", size_frames=2)
    images = rng.integers(0, 256, (10, 1, 11, 13)).astype(np.uint8)
    scores, pred = predict_scores(net, images, "rtl", str(tmp_path / "build"))
    golden = run_network(net, images)
    assert golden.scores.std() > 0  # the network computes something image-dependent
    assert np.array_equal(scores, golden.scores) and np.array_equal(pred, golden.pred)


def _wide_pool(impl: str):
    from onnx import helper
    from qonnx.custom_op.registry import getCustomOp

    return getCustomOp(helper.make_node(
        f"SnnSpikePool_{impl}", ["x"], ["y"], name="pool1", domain=f"finn.custom_op.fpgadataflow.{impl}",
        backend="fpgadataflow", ImgDim=[6, 6], NumChannels=512, Kernel=[3, 2], Stride=[2, 1], PE=512, T=16,
        inputDataType="UINT16"))


def test_a_pool_the_hls_backend_cannot_build_is_refused_at_compile():
    """``compile`` calls each node's ``check_folding``: the limit left (the HLS generator's widest ap_uint, 4096
    bits) is refused there, naming the node, the value and the cap."""
    from hw.block_params import BlockParamError

    with pytest.raises(BlockParamError,
                       match=r"^node pool1: the beat is 8192 bits, more than the 4096 this generator supports$"):
        _wide_pool("hls").check_folding()


def test_the_rtl_pool_has_no_beat_width_cap():
    _wide_pool("rtl").check_folding()
    assert _wide_pool("rtl").verify_node() == []
