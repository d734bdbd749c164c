"""Training end to end on real Fashion-MNIST (briefly), resume, and DDP with two CPU processes."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dietsnn.testing import fmnist_available
from dietsnn.netfile import IntNetwork
from quant_train import train as train_mod
from quant_train.config import load_config
from quant_train.report import write_metrics
from quant_train.train import load_checkpoint, train

pytestmark = pytest.mark.skipif(not fmnist_available(), reason="needs Debian's dataset-fashion-mnist")

ROOT = Path(__file__).resolve().parents[2]


def tiny_cfg(**kw):
    return load_config("fmnist").replace(ann_epochs=1, snn_epochs=1, batch_size=64, convert_batches=2, **kw)


def test_end_to_end_real_fmnist_and_golden_agreement(tmp_path):
    torch.manual_seed(0)
    st = train(tiny_cfg(), tmp_path, limit_train=1024, limit_test=200, device="cpu")
    assert st.phase == "done" and st.ann_accuracy > 0.4
    m = write_metrics(tmp_path, limit=200)
    # the eval-mode PyTorch model is the integer network: same scores on every image
    assert m["golden_agreement"] == {"images": 200, "identical_scores": 200, "identical_predictions": 200}
    assert m["integer_accuracy"] == m["snn_accuracy"] > 0.4
    net = IntNetwork.load(tmp_path / "network.snn.npz")
    assert [l.kind for l in net.layers] == ["input_lif", "spike_maxpool", "lif_conv", "spike_maxpool",
                                           "lif_dense", "output_accumulate"]
    assert net.T == 5 and net.weight_bits == 4
    assert all(np.abs(l.weight).max() <= 7 for l in net.layers if l.has_weights)
    for key in ("ann_accuracy", "converted_snn_accuracy", "energy", "layers", "history"):
        assert key in m
    assert all(0 <= l["spike_rate"] <= 1 for l in m["layers"] if "spike_rate" in l)
    assert (tmp_path / "training_curves.png").stat().st_size > 0 and (tmp_path / "spike_rates.png").is_file()
    assert json.loads((tmp_path / "metrics.json").read_text())["integer_accuracy"] == m["integer_accuracy"]


def test_resume_continues_after_an_interruption(tmp_path, monkeypatch):
    cfg = tiny_cfg().replace(ann_epochs=2)
    real_epoch = train_mod._epoch
    calls = {"n": 0}

    def stop_on_second(*a, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated stop")
        return real_epoch(*a, **kw)

    monkeypatch.setattr(train_mod, "_epoch", stop_on_second)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, tmp_path, limit_train=256, limit_test=64)
    _, st, _ = load_checkpoint(tmp_path)
    assert (st.phase, st.epoch, len(st.history["ann"])) == ("ann", 1, 1)
    first = st.history["ann"][0]
    monkeypatch.setattr(train_mod, "_epoch", real_epoch)
    st = train(cfg, tmp_path, limit_train=256, limit_test=64, resume=True)
    assert st.phase == "done"
    assert [h["epoch"] for h in st.history["ann"]] == [1, 2] and st.history["ann"][0] == first
    assert [h["epoch"] for h in st.history["snn"]] == [1]


def test_ddp_resumes_a_single_process_checkpoint_with_gloo(tmp_path, monkeypatch):
    """A run interrupted in one process continues under torchrun with two (checkpoints and the learning-rate
    schedule do not depend on the process count); throughput is logged per process and in total."""
    cfg = tiny_cfg().replace(ann_epochs=2)
    real_epoch = train_mod._epoch
    calls = {"n": 0}

    def stop_on_second(*a, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated stop")
        return real_epoch(*a, **kw)

    monkeypatch.setattr(train_mod, "_epoch", stop_on_second)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, tmp_path, limit_train=256, limit_test=64, device="cpu")
    assert load_checkpoint(tmp_path)[1].world == 1
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29533",
           "-m", "flow.cli", "train", "--out", str(tmp_path), "--resume", "--device", "cpu",
           "--limit-train", "256", "--limit-test", "64"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    assert re.search(r"ANN epoch 2: \d+ images/s in total \(rank 0: \d+, rank 1: \d+\)", res.stderr), res.stderr[-3000:]
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["golden_agreement"]["identical_scores"] == 64 and m["trained_on"] == {"device": "cpu", "processes": 2}
    cfg2, st, _ = load_checkpoint(tmp_path)
    assert cfg2 == cfg and st.world == 2 and st.phase == "done"
    assert [h["epoch"] for h in st.history["ann"]] == [1, 2]
    assert len(st.history["ann"][0]["images_per_s_per_process"]) == 1
    assert len(st.history["ann"][1]["images_per_s_per_process"]) == 2
    assert st.history["snn"][0]["images_per_s"] == pytest.approx(sum(st.history["snn"][0]["images_per_s_per_process"]))
