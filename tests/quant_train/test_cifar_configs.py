"""The paper's CIFAR networks and the FINN-CNV-sized FPGA network train end to end on a folder in
torchvision's format (tiny, random, on the CPU: a few steps each), and their eval-mode PyTorch model
gives the golden's integer scores."""

import numpy as np
import pytest

from dietsnn.netfile import IntNetwork
from quant_train.config import load_config
from quant_train.model import DietSNN
from quant_train.report import write_metrics
from quant_train.train import train


def _tiny(name):
    return load_config(name).replace(ann_epochs=1, snn_epochs=1, batch_size=2, convert_batches=1)


def _end_to_end(name, cifar_root, tmp_path):
    cfg = _tiny(name)
    st = train(cfg, tmp_path, limit_train=4, limit_test=2, data_dir=str(cifar_root), device="cpu")
    assert st.phase == "done" and len(st.history["snn"]) == 1 and st.device == "cpu"
    m = write_metrics(tmp_path, limit=2, data_dir=str(cifar_root), device="cpu")
    assert m["golden_agreement"] == {"images": 2, "identical_scores": 2, "identical_predictions": 2}
    net = IntNetwork.load(tmp_path / "network.snn.npz")
    assert net.input_shape == (3, 32, 32) and net.num_classes == cfg.layers[-1].out
    assert len(net.layers) == len(cfg.layers)


def test_fpga_cnv_config_end_to_end(cifar_root, tmp_path):
    _end_to_end("cifar10_cnv", cifar_root, tmp_path)


@pytest.mark.parametrize("name", ["cifar10_vgg11", "cifar10_vgg16", "cifar100_vgg16"])
def test_paper_config_trains_a_few_steps(name, cifar_root, tmp_path):
    """One ANN step, the conversion, one DIET-SNN step (34-40M parameters: the reports are in the slow test)."""
    st = train(_tiny(name), tmp_path, limit_train=2, limit_test=2, data_dir=str(cifar_root), device="cpu")
    assert st.phase == "done" and st.converted_accuracy is not None and len(st.lambdas) == sum(
        l.kind.value != "pool" for l in _tiny(name).layers) - 1
    assert all(np.isfinite(h["loss"]) for phase in ("ann", "snn") for h in st.history[phase])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cifar10_vgg11", "cifar10_vgg16", "cifar100_vgg16"])
def test_paper_config_end_to_end(name, cifar_root, tmp_path):
    _end_to_end(name, cifar_root, tmp_path)


def test_cnv_config_is_finn_cnv_sized():
    cfg = load_config("cifar10_cnv")
    snn = DietSNN(cfg, (3, 32, 32))
    weights = sum(l.layer.weight.numel() for l in snn.layers if hasattr(l, "layer"))
    assert 1.4e6 < weights < 1.6e6  # FINN's CNV: 1.54M; 4-bit: 6.2 Mbit, within a ZCU104's 11 Mbit of BRAM
    assert [l.kind for l in snn.layers].count("lif_conv") == 5 and sum(l.kind == "lif_dense" for l in snn.layers) == 2
    fc1 = next(l for l in snn.layers if l.kind == "lif_dense")
    assert fc1.layer.weight.shape[1] == 256  # 32 -> 30 -> 28 -> 14 -> 12 -> 10 -> 5 -> 3 -> 1
