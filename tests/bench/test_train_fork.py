"""``bench.train``'s forks: a new fine-tuning from a run's ANN twin, and a second cycle from its SNN."""

import pytest
import torch

from bench.train import _fork
from dietsnn.testing import fmnist_available
from quant_train.checkpoint import load_checkpoint
from quant_train.config import load_config
from quant_train.train import train

pytestmark = pytest.mark.skipif(not fmnist_available(), reason="needs Debian's dataset-fashion-mnist")

LIMITS = {"limit_train": 256, "limit_test": 64, "device": "cpu"}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    run = tmp_path_factory.mktemp("source")
    cfg = load_config("fmnist").replace(ann_epochs=1, snn_epochs=1, batch_size=64, convert_batches=2)
    train(cfg, run, **LIMITS)
    return run


def test_from_ann_converts_the_same_twin_again_and_fine_tunes_with_the_new_recipe(source, tmp_path):
    cfg = _fork(source, tmp_path, {"snn_epochs": 2, "distill": 0.5}, "--from-ann", snn_too=False)
    assert (cfg.snn_epochs, cfg.distill) == (2, 0.5)
    _, st0, ck0 = load_checkpoint(source)
    st = train(cfg, tmp_path, resume=True, **LIMITS)
    _, _, ck = load_checkpoint(tmp_path)
    assert all(torch.equal(ck0["ann"][k], ck["ann"][k]) for k in ck0["ann"])  # the twin is not trained again
    assert st.history["ann"] == st0.history["ann"] and st.ann_accuracy == st0.ann_accuracy
    # conversion is deterministic: the same thresholds and the same converted accuracy as the source's
    assert st.lambdas == st0.lambdas and st.converted_accuracy == st0.converted_accuracy
    assert st.phase == "done" and [h["epoch"] for h in st.history["snn"]] == [1, 2]


def test_continue_snn_keeps_the_first_cycle_in_the_history(source, tmp_path):
    cfg = _fork(source, tmp_path, {"snn_epochs": 1, "snn_lr": 1e-4}, "--continue-snn", snn_too=True)
    _, st0, _ = load_checkpoint(source)
    st = train(cfg, tmp_path, resume=True, **LIMITS)
    assert st.history["first_cycle_snn"] == st0.history["snn"] and len(st.history["snn"]) == 1


def test_a_fork_cannot_change_the_twin_it_takes(source, tmp_path):
    with pytest.raises(SystemExit, match=r"--from-ann: .*twin was trained for 1 epochs; ann_epochs cannot change "
                                          r"\(3 asked\)"):
        _fork(source, tmp_path, {"ann_epochs": 3}, "--from-ann", snn_too=False)
