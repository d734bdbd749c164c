"""The shipped fmnist network through every level on real Fashion-MNIST test images, and its foldings."""

import numpy as np
import pytest

from dietsnn.testing import fmnist_available
from flow.cli import DEFAULT_RUN
from dietsnn.netfile import IntNetwork
from dietsnn.ref import run_network
from hw.compile import CompileOptions, build_dataflow
from hw.execute import execute_dataflow
from hw.qonnx_export import execute_qonnx

pytestmark = pytest.mark.skipif(not fmnist_available(), reason="needs Debian's dataset-fashion-mnist")

N_IMAGES = 200


@pytest.fixture(scope="module")
def net():
    return IntNetwork.load(DEFAULT_RUN / "network.snn.npz")


@pytest.fixture(scope="module")
def images():
    from quant_train.config import load_config
    from quant_train.data import load_split

    return load_split(load_config("fmnist"), "test").limit(N_IMAGES).images.numpy()


@pytest.fixture(scope="module")
def build50k(net):
    return build_dataflow(net, CompileOptions(fps=50000))


def test_golden_qonnx_and_dataflow_agree_on_real_images(net, images, build50k):
    golden = run_network(net, images).scores
    assert np.array_equal(execute_qonnx(net, images), golden)
    assert np.array_equal(execute_dataflow(build50k.model, images), golden)


@pytest.mark.parametrize("fps", [1000, 10000, 50000])
def test_foldings_meet_the_target(net, fps, build50k):
    report = build50k.report if fps == 50000 else build_dataflow(net, CompileOptions(fps=fps)).report
    assert report["meets_target"], report["bottleneck"]
    assert report["estimated_fps"] >= fps
    assert report["max_cycles"] <= 200e6 / fps
    assert report["utilization"]["LUT"] < 1.0


def test_report_has_widths_per_layer(build50k):
    weighted = [l for l in build50k.report["layers"] if l["kind"] != "SnnSpikePool"]
    assert all(l["acc_bits"] > 0 and l["state_bits"] >= l["acc_bits"] for l in weighted)
