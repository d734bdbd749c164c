"""The DIET-SNN model: exact or refused in eval mode, the same on both LIF paths, any pool window/stride."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dietsnn.ref import run_network
from quant_train import ckernel
from quant_train.config import config_from_dict, load_config
from quant_train.export import to_int_network
from quant_train.model import DietSNN


def _spiky(cfg, shape=(1, 28, 28), seed=0):
    torch.manual_seed(seed)
    snn = DietSNN(cfg, shape)
    for layer in snn.layers:
        if getattr(layer, "spiking", False):
            layer.v_th.data.fill_(0.5 if layer.kind == "input_lif" else 1.5)
            layer.k_param.data.fill_(3.0)
    return snn


def _images(n=16, shape=(1, 28, 28), seed=1):
    return torch.randint(0, 256, (n, *shape), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


OVERLAP = {"name": "overlap", "dataset": "fmnist", "layers": [
    {"kind": "conv", "out": 8}, {"kind": "pool", "kernel": 3, "stride": 2}, {"kind": "conv", "out": 8, "stride": 2},
    {"kind": "pool", "kernel": 2, "stride": 3}, {"kind": "dense", "out": 16}, {"kind": "dense", "out": 10}]}


@pytest.mark.parametrize("cfg", [load_config("fmnist"), config_from_dict(OVERLAP)], ids=["fmnist", "3x3/2 and 2x2/3"])
def test_eval_model_is_the_integer_network(cfg):
    snn = _spiky(cfg).eval()
    x = _images()
    with torch.no_grad():
        scores = snn(x).numpy()
    golden = run_network(to_int_network(snn), x.numpy())
    assert np.array_equal(scores.astype(np.int64), golden.scores)
    assert golden.spike_counts["conv2"] > 0  # the network spikes: the comparison means something


def test_c_kernel_and_vectorized_paths_train_the_same(monkeypatch):
    cfg = config_from_dict(OVERLAP)
    x, y = _images(8), torch.arange(8) % 10
    grads = []
    for no_c in ("", "1"):
        monkeypatch.setenv("DIETSNN_NO_CKERNEL", no_c)
        ckernel.load.cache_clear()
        try:
            snn = _spiky(cfg).train()
            torch.manual_seed(5)  # the same dropout masks
            F.cross_entropy(snn.logits(snn(x)), y).backward()
            grads.append({n: p.grad.clone() for n, p in snn.named_parameters() if p.grad is not None})
        finally:
            ckernel.load.cache_clear()
    assert grads[0].keys() == grads[1].keys() and any("v_th" in n for n in grads[0])
    for n in grads[0]:
        torch.testing.assert_close(grads[0][n], grads[1][n], rtol=1e-4, atol=1e-5, msg=n)


def test_a_state_beyond_float32_is_refused_in_eval_and_export():
    snn = _spiky(load_config("fmnist")).eval()
    fc1 = next(l for l in snn.layers if l.name == "fc1")
    with torch.no_grad():
        fc1.layer.bias[3] = 2.0**25 * fc1.acc_scale()[3]  # b_int = 2^25
    with pytest.raises(ValueError, match=r"^fc1: state bound \d+ exceeds the PyTorch model's cap 2\^24 = 16777216"):
        with torch.no_grad():
            snn(_images(2))
    with pytest.raises(ValueError, match=r"^fc1: state bound"):
        to_int_network(snn)
    snn.train()
    snn(_images(2))  # training may pass through such values (its forward is not the exported network)


def test_eval_parameters_follow_weight_updates():
    snn = _spiky(load_config("fmnist")).eval()
    x = _images(4)
    with torch.no_grad():
        before = snn(x).clone()
        snn.layers[-1].layer.bias.add_(snn.layers[-1].acc_scale() * 1000)  # +1000 on every class score ...
        after = snn(x)
    assert torch.equal(after, before + 1000 * snn.T)  # ... at every step: the cached integers were refreshed
