"""The ANN twin through FINN's own flow (no vendor tool): a clean HW partition, estimates, and
the FINN models' Python execution agreeing with PyTorch. No trained checkpoint needed."""

import numpy as np
import pytest
import torch
from qonnx.core.modelwrapper import ModelWrapper

from dietsnn.testing import fmnist_available
from bench.finn_ann import ann_estimate
from quant_train.config import load_config
from quant_train.model import ANNTwin

FPS = 50000
N_IMAGES = 4
INPUT_SHAPE = (1, 28, 28)
#: FINN HW op types this topology may lower to (abstraction layer; specialized ones add _hls/_rtl)
HW_OPS = {"MVAU", "Thresholding", "ConvolutionInputGenerator", "StreamingMaxPool", "Pool", "FMPadding",
          "StreamingDataWidthConverter", "StreamingFIFO", "LabelSelect"}


def _images(n: int) -> np.ndarray:
    if fmnist_available():
        from quant_train.data import load_split

        return load_split(load_config("fmnist"), "test").limit(n).images.numpy()
    return np.random.default_rng(0).integers(0, 256, (n, *INPUT_SHAPE), dtype=np.uint8)


def _random_ann(images: np.ndarray) -> ANNTwin:
    """fmnist ANN twin, random weights, BatchNorm statistics calibrated on ``images`` so that
    every layer has non-trivial activations (and the predictions differ between images)."""
    torch.manual_seed(0)
    ann = ANNTwin(load_config("fmnist"), INPUT_SHAPE)
    for m in ann.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = None  # cumulative average: one batch sets the statistics
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.5)
    ann.train()
    with torch.no_grad():
        ann(torch.as_tensor(images))
    return ann.eval()


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    images = _images(N_IMAGES)
    ann = _random_ann(images)
    return ann_estimate(ann, INPUT_SHAPE, fps=FPS, work_dir=tmp_path_factory.mktemp("finn_ann"), images=images)


def test_dataflow_partition_holds_only_finn_hw_nodes(result):
    assert set(result["hw_op_types"]) <= HW_OPS, result["hw_op_types"]
    assert {"MVAU", "ConvolutionInputGenerator"} <= set(result["hw_op_types"])
    model = ModelWrapper(f"{result['work_dir']}/estimated.onnx")
    for node in model.graph.node:
        assert node.domain in ("finn.custom_op.fpgadataflow.hls", "finn.custom_op.fpgadataflow.rtl"), node.name
        assert node.op_type.rsplit("_", 1)[0] in HW_OPS, node.op_type
    # only the input layout change and the float output de-quantization stay in software
    assert [s.split(" (")[1].rstrip(")") for s in result["outside_partition"]] == ["Transpose", "Mul", "Add"]


def test_fps_target_met_or_limiting_layer_named(result):
    assert result["estimated_fps"] > 0
    if result["estimated_fps"] >= FPS:
        assert result["target_met"] and not result["limiting_layers"]
    else:
        assert not result["target_met"]
        assert result["limiting_layers"], "target missed but no layer reported as limiting"
        for name, info in result["limiting_layers"].items():
            assert name in result["layer_cycles"] and info["cycles"] > result["target_cycles_per_frame"]
    assert result["max_cycles"] == max(result["layer_cycles"].values())
    assert result["estimated_fps"] == pytest.approx(200e6 / result["max_cycles"])


def test_resource_estimates(result):
    total = result["total_resources"]
    assert total["LUT"] > 0
    assert all(total[k] >= 0 for k in ("BRAM_18K", "URAM", "DSP"))
    assert set(result["layer_resources"]) == set(result["layer_cycles"])
    assert sum(r["LUT"] for r in result["layer_resources"].values()) == pytest.approx(total["LUT"])
    for name, fold in result["folding"].items():
        assert fold, f"{name} has no PE/SIMD"


def test_finn_python_execution_agrees_with_pytorch(result):
    agreement = result["agreement"]
    assert agreement["n_images"] == N_IMAGES
    assert len(set(agreement["torch_predictions"])) > 1, "degenerate random network: one class for all images"
    for stage in ("streamlined", "hw_parent"):
        assert agreement[stage]["agree"] == N_IMAGES, (stage, agreement)
        assert agreement[stage]["max_abs_logit_diff"] < 1e-3, (stage, agreement)


def test_non_hw_node_between_hw_nodes_is_named(tmp_path):
    from onnx import TensorProto, helper
    from qonnx.core.datatype import DataType
    from qonnx.util.basic import qonnx_make_model

    from bench.finn_ann import FinnFlowError, create_dataflow_partition

    def pad(name, i, o, hw):
        return helper.make_node("FMPadding", [i], [o], name=name, domain="finn.custom_op.fpgadataflow",
                                backend="fpgadataflow", ImgDim=[hw, hw], Padding=[1, 1, 1, 1], NumChannels=2,
                                SIMD=1, inputDataType="UINT4", numInputVectors=1)

    vi = lambda n, hw: helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, hw, hw, 2])  # noqa: E731
    nodes = [pad("pad_a", "x", "a", 4), helper.make_node("Relu", ["a"], ["b"], name="stray_relu"),
             pad("pad_b", "b", "y", 6)]
    graph = helper.make_graph(nodes, "g", [vi("x", 4)], [vi("y", 8)], value_info=[vi("a", 6), vi("b", 6)])
    model = ModelWrapper(qonnx_make_model(graph))
    for t in ("x", "a", "b", "y"):
        model.set_tensor_datatype(t, DataType["UINT4"])
    with pytest.raises(FinnFlowError, match="stray_relu"):
        create_dataflow_partition(model, tmp_path)
