"""The project's FINN ops on their own: shapes, stream widths, label output, pooling windows."""

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.basic import qonnx_make_model

import hw.finn_ops  # noqa: F401
from dietsnn.ref import output_accumulate, spike_maxpool
from dietsnn.ref.streams import pack_spike_trains, spike_words
from hw.lower.common import hw_node


def _model(node, in_shape, inits, idt):
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = ModelWrapper(qonnx_make_model(graph))
    m.set_tensor_datatype("x", idt)
    for k, v in inits.items():
        m.set_initializer(k, v.astype(np.float32))
    return m.transform(InferShapes())


def test_output_mvu_label_output(rng):
    T, mw, mh = 4, 12, 5
    w = rng.integers(-7, 8, (mw, mh))
    b = rng.integers(-3, 4, mh)
    node = hw_node("SnnOutputMVU", ["x", "w", "b"], ["y"], "out", MW=mw, MH=mh, SIMD=3, PE=5, T=T,
                   numInputVectors=[1], inputDataType="UINT4", weightDataType="INT4", accBits=8, stateBits=10,
                   emitLabel=1)
    m = _model(node, [1, mw], {"w": w, "b": b}, DataType["UINT4"])
    spikes = rng.integers(0, 2, (T, 1, mw))
    y = execute_onnx(m, {"x": spike_words(spikes).astype(np.float32)})["y"]
    scores = output_accumulate(np.einsum("tnf,fo->tno", spikes, w), b)
    assert y.shape == (1, 1) and int(y[0, 0]) == int(np.argmax(scores[0]))
    inst = getCustomOp(m.graph.node[0])
    assert inst.get_outstream_width() == 3 and inst.get_instream_width() == 12  # ceil(log2 5) bits; 3 x 4-bit words
    assert inst.get_exp_cycles() == (mw // 3) * (mh // 5)


@pytest.mark.parametrize("k,s", [(2, 2), (3, 2), (3, 1)])
def test_spike_pool_windows(rng, k, s):
    T, c, h = 5, 4, 7
    node = hw_node("SnnSpikePool", ["x"], ["y"], "pool", ImgDim=[h, h], NumChannels=c, Kernel=[k, k], Stride=[s, s],
                   PE=2, T=T, inputDataType=f"UINT{T}")
    m = _model(node, [1, h, h, c], {}, DataType[f"UINT{T}"])
    spikes = rng.integers(0, 2, (T, 1, c, h, h))
    y = execute_onnx(m, {"x": pack_spike_trains(spikes).astype(np.float32)})["y"]
    assert np.array_equal(y, pack_spike_trains(spike_maxpool(spikes, (k, k), (s, s))))


def test_folding_that_does_not_divide_is_reported():
    node = hw_node("SnnLIFMVU", ["x", "w", "b", "t"], ["y"], "mvu", MW=12, MH=6, SIMD=5, PE=4, T=5,
                   numInputVectors=[1], inputDataType="UINT5", weightDataType="INT4", accBits=8, stateBits=10)
    inst = getCustomOp(node)
    assert inst.verify_node() == ["SIMD=5 must divide MW=12", "PE=4 must divide MH=6"]
    with pytest.raises(ValueError, match=r"^node mvu: SIMD=5 must divide MW=12; PE=4 must divide MH=6$"):
        inst.check_folding()


def test_a_state_wider_than_the_rtl_cap_is_refused_at_compile_in_the_generators_words(rng, tmp_path):
    """SPEC section 6: the RTL block caps its registers at 48 bits; compile refuses such a network with exactly
    the message stitching (the RTL generator) would give; the HLS blocks take it."""
    from dataclasses import replace

    from dietsnn.testing import random_network
    from hw import rtl_gen
    from hw.block_params import BlockParamError
    from hw.compile import CompileOptions, _specialize, build_dataflow
    from hw.fold import name_layers
    from hw.lower import lower_to_dataflow
    from hw.qonnx_export import to_qonnx

    net = random_network(rng, in_shape=(1, 6, 6))
    fc2 = replace(net.layers[-1], bias=np.full(3, 2**47, np.int64))
    net = replace(net, layers=net.layers[:-1] + (fc2,))
    msg = r"^node fc2: widths must satisfy 1 <= acc_bits \(\d+\) <= state_bits \(51\) <= 48 \(the RTL block's widest"
    with pytest.raises(BlockParamError, match=msg) as at_compile:
        build_dataflow(net, CompileOptions(fps=2000, impl="rtl"))
    model = _specialize(lower_to_dataflow(to_qonnx(net)), "xczu7ev-ffvc1156-2-e", "rtl")
    name_layers(model, [layer.name for layer in net.layers])  # SpecializeLayers renumbers the names
    node = next(n for n in model.graph.node if n.name == "fc2")
    with pytest.raises(BlockParamError) as at_generation:
        rtl_gen.generate_node(getCustomOp(node), model, tmp_path)
    assert str(at_generation.value) == str(at_compile.value)
    assert not any(tmp_path.iterdir())  # nothing written
    build_dataflow(net, CompileOptions(fps=2000, impl="hls"))  # the HLS kernels' registers are wider
