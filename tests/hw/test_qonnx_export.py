"""QONNX export: a valid model of the project's custom ops that execute_onnx runs to the golden's scores."""

import numpy as np
import onnx
import pytest
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from dietsnn.testing import random_network
from dietsnn.ref import run_network
from hw.qonnx_export import execute_qonnx, save_qonnx, to_qonnx


@pytest.mark.parametrize("T", [1, 5, 8])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_qonnx_execution_equals_golden(rng, T, bits):
    net = random_network(rng, T=T, weight_bits=bits)
    x = rng.integers(0, 256, (6, *net.input_shape)).astype(np.uint8)
    assert np.array_equal(execute_qonnx(net, x, batch_size=4), run_network(net, x).scores)


def test_saved_model_is_valid_and_annotated(rng, tmp_path):
    net = random_network(rng, T=5, weight_bits=4)
    path = save_qonnx(net, tmp_path / "m.onnx")
    onnx.checker.check_model(onnx.load(str(path)))
    m = ModelWrapper(str(path))
    assert m.get_tensor_datatype("image") == DataType["UINT8"]
    assert m.get_tensor_datatype("conv1.weight") == DataType["INT4"]
    assert m.get_tensor_datatype("conv1_out") == DataType["UINT5"]
    assert m.get_tensor_datatype("scores").is_integer() and m.get_tensor_datatype("scores").signed()
    assert [n.op_type for n in m.graph.node] == ["InputLIF", "SpikeMaxPool", "LIFConv", "Flatten", "LIFDense",
                                                 "OutputAccumulate"]
    assert m.get_tensor_shape("conv2_out") == [1, 6, 4, 4]


def test_no_pool_strided_network(rng):
    net = random_network(rng, T=3, pool=False, kernel=5, stride=2, pad=2)
    x = rng.integers(0, 256, (3, *net.input_shape)).astype(np.uint8)
    assert np.array_equal(execute_qonnx(net, x), run_network(net, x).scores)
    assert to_qonnx(net).get_tensor_shape("conv1_out") == [1, 4, 4, 4]
