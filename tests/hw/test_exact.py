"""No float32 rounding (issue 12 item 1): integers beyond 2^24 are identical at every level, or refused by name.

A bias of 2^25 + 1 became 2^25 and scores above 2^24 were off by up to 128
when QONNX initializers, the dataflow graph's parameters and the ops' outputs
were float32. Now parameters are int64 initializers, scores int64 arrays, and
only the streams (pixels, spike words) stay float32, where they are exact.
"""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from dietsnn.ref import run_network
from dietsnn.ref.streams import unpack_beats
from dietsnn.testing import random_network
from dietsnn.vocab import Kind
from hw.compile import CompileOptions, build_dataflow
from hw.exact import check_float32_streams, exact_ints
from hw.execute import execute_dataflow
from hw.qonnx_export import execute_qonnx, to_qonnx
from hw.qonnx_import import from_qonnx

BIG = 2**25 + 1  #: a float32 holds it as 2^25


def big_network():
    """conv1 with biases and thresholds of +-(2^25 + 1) that still spike, fc2 with scores beyond 2^24."""
    net = random_network(np.random.default_rng(2), in_shape=(1, 6, 6))
    layers = list(net.layers)
    layers[0] = replace(layers[0], bias=np.array([BIG, -BIG, 5, BIG + 2]),
                        theta=np.array([BIG + 1, 7, 2**26, BIG + 1]))
    layers[-1] = replace(layers[-1], bias=np.array([BIG, -(2**26 + 3), 3]))
    return replace(net, layers=tuple(layers))


def some_images():
    return np.random.default_rng(1).integers(0, 256, (5, 1, 6, 6)).astype(np.uint8)


@pytest.fixture(scope="module")
def big_net():
    return big_network()


@pytest.fixture(scope="module")
def images():
    return some_images()


def test_golden_qonnx_and_dataflow_agree_beyond_2_to_24(big_net, images):
    golden = run_network(big_net, images)
    assert np.abs(golden.scores).max() > 2**24 and golden.spike_counts["conv1"] > 0  # the case float32 broke
    assert np.array_equal(execute_qonnx(big_net, images), golden.scores)
    model = build_dataflow(big_net, CompileOptions(fps=2000, impl="rtl")).model
    assert np.array_equal(execute_dataflow(model, images), golden.scores)


def test_qonnx_initializers_are_int64_and_read_back_exactly(big_net):
    model = to_qonnx(big_net)
    bias = model.get_initializer("conv1.bias")
    assert bias.dtype == np.int64 and bias.tolist() == [BIG, -BIG, 5, BIG + 2]
    back = from_qonnx(model)
    assert np.array_equal(back.layers[-1].bias, big_net.layers[-1].bias)


def test_rtl_mem_files_and_hls_roms_hold_the_exact_integers(big_net, tmp_path):
    from hw import hls_gen, rtl_gen

    for impl in ("rtl", "hls"):
        model = build_dataflow(big_net, CompileOptions(fps=2000, impl=impl)).model
        for name in ("conv1", "fc2"):
            node = next(n for n in model.graph.node if n.name == name)
            inst = getCustomOp(node)
            out = tmp_path / impl / name
            out.mkdir(parents=True)
            bias = big_net.layer(name).bias
            if impl == "rtl":
                rtl_gen.generate_node(inst, model, out)
                p = inst.block_params()
                words = [int(w, 16) for w in (out / f"{name}_b.mem").read_text().split()]
                assert unpack_beats(words, p.STATE_BITS, p.PE, signed=True).ravel().tolist() == bias.tolist()
            else:
                layer = hls_gen.node_layer(inst, model)
                assert sorted(v for row in layer.arrays["bias"] for v in row) == sorted(bias.tolist())
                assert str(BIG) in hls_gen.render(layer)[f"{layer.name}.cpp"]


def test_a_float32_container_that_may_have_rounded_is_refused_by_name(big_net, tmp_path):
    assert exact_ints(np.array([2.0**24 - 1], np.float32), "x").tolist() == [2**24 - 1]
    assert exact_ints(np.array([float(BIG)], np.float64), "x").tolist() == [BIG]  # float64: exact below 2^53
    model = to_qonnx(big_net)  # an old export: float32 initializers
    model.set_initializer("fc2.bias", big_net.layers[-1].bias.astype(np.float32))
    with pytest.raises(ValueError, match=r"^fc2\.bias: value 67108864 is held in float32, which holds integers "
                                         r"exactly only below 2\^24 = 16777216; expected an integer array$"):
        from_qonnx(model)
    with pytest.raises(ValueError, match=r"fc2: bias: value .* is held in float32"):
        from hw import rtl_gen
        model = build_dataflow(big_net, CompileOptions(fps=2000)).model
        node = next(n for n in model.graph.node if n.name == "fc2")
        model.set_initializer(node.input[2], big_net.layers[-1].bias.astype(np.float32))
        rtl_gen.generate_node(getCustomOp(node), model, tmp_path)


def test_streams_that_float32_cannot_carry_are_refused_naming_layer_value_and_cap():
    layers = [SimpleNamespace(name="conv1", kind=Kind.INPUT_LIF)]
    with pytest.raises(ValueError, match=r"^layer conv1: its stream values reach 33554431, but QONNX and FINN carry "
                                         r"them in float32 tensors, exact only below 2\^24 = 16777216"):
        check_float32_streams(SimpleNamespace(T=25, input_bits=8, layers=layers))
    with pytest.raises(ValueError, match=r"^the input image: its stream values reach 33554431"):
        check_float32_streams(SimpleNamespace(T=5, input_bits=25, layers=layers))
