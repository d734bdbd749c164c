"""Checkpoints are data, never code: loaded with weights_only=True; refused, corrupt and incomplete
files name themselves; the shipped (format 1) checkpoint still loads."""

import os
import pickle
from pathlib import Path

import pytest
import torch

from quant_train.checkpoint import (CHECKPOINT, FORMAT, CheckpointError, State, load_checkpoint, read_checkpoint,
                                    save_checkpoint)
from quant_train.config import LayerKind, load_config
from quant_train.model import ANNTwin, DietSNN

ROOT = Path(__file__).resolve().parents[2]


class _RunsCode:
    """Unpickling this calls os.system: what a malicious checkpoint would carry."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _tiny_run(tmp_path):
    cfg = load_config("fmnist")
    ann, snn = ANNTwin(cfg, (1, 28, 28)), DietSNN(cfg, (1, 28, 28))
    opt = torch.optim.Adam(snn.parameters(), 1e-3)
    st = State(phase="snn", epoch=3, lambdas=[1.5, 2.0, 3.0], world=2, device="cuda")
    save_checkpoint(tmp_path, cfg, st, (1, 28, 28), ann, snn, opt)
    return cfg, st


def test_round_trip_keeps_config_state_and_tensors(tmp_path):
    cfg, st = _tiny_run(tmp_path)
    cfg2, st2, ck = load_checkpoint(tmp_path)
    assert cfg2 == cfg and st2 == st and ck["format"] == FORMAT
    assert set(ck["snn"]) == set(DietSNN(cfg, (1, 28, 28)).state_dict())
    assert not list(tmp_path.glob("*.tmp"))  # written atomically: no temporary file left


def test_a_pickled_callable_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "code_ran"
    _tiny_run(tmp_path)
    ck = torch.load(tmp_path / CHECKPOINT, weights_only=True)
    ck["state"]["history"] = _RunsCode(marker)
    torch.save(ck, tmp_path / CHECKPOINT)
    with pytest.raises(CheckpointError, match=r"checkpoint\.pt: refused: a checkpoint must hold only tensors and "
                                              r"plain data, and this one holds something else"):
        load_checkpoint(tmp_path)
    assert not marker.exists()


def test_corrupt_and_truncated_checkpoints_name_the_file(tmp_path):
    _tiny_run(tmp_path)
    path = tmp_path / CHECKPOINT
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=rf"^{path}: not a readable PyTorch checkpoint \(truncated or corrupt\?\)"):
        load_checkpoint(tmp_path)
    path.write_bytes(b"this is not a checkpoint")
    with pytest.raises(CheckpointError, match=rf"^{path}: not a readable PyTorch checkpoint"):
        read_checkpoint(path)
    path.write_bytes(pickle.dumps({"config": {}}, protocol=2))  # a bare pickle, not a torch zip
    with pytest.raises(CheckpointError, match=rf"^{path}: "):
        read_checkpoint(path)


def test_incomplete_or_foreign_checkpoints_are_refused(tmp_path):
    path = tmp_path / CHECKPOINT
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match=r"not a dietsnn training checkpoint: missing \['config', 'state'"):
        load_checkpoint(tmp_path)
    torch.save([1, 2], path)
    with pytest.raises(CheckpointError, match=r"expected a dict of config, state and tensors, got list"):
        load_checkpoint(tmp_path)
    _tiny_run(tmp_path)
    ck = torch.load(path, weights_only=True)
    torch.save({**ck, "format": FORMAT + 1}, path)
    with pytest.raises(CheckpointError, match=rf"checkpoint format {FORMAT + 1} is newer"):
        load_checkpoint(tmp_path)
    torch.save({**ck, "state": {**ck["state"], "optimizer_name": "sgd"}}, path)
    with pytest.raises(CheckpointError, match=r"unknown state entries \['optimizer_name'\]"):
        load_checkpoint(tmp_path)
    torch.save({**ck, "config": {**ck["config"], "T": 0}}, path)
    with pytest.raises(ValueError, match=r"checkpoint\.pt: config: T must be in 1\.\.16, not 0"):
        load_checkpoint(tmp_path)


def test_missing_checkpoint_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"checkpoint\.pt: no checkpoint \(train first with `dietsnn train"):
        load_checkpoint(tmp_path)


def test_format_1_checkpoint_loads_with_pool_strides(tmp_path):
    """Format 1 (no ``format`` entry) stored pool strides as 1 while meaning "equal to the kernel"."""
    ck = torch.load(ROOT / "models" / "fmnist" / CHECKPOINT, weights_only=True)
    assert ck["format"] == FORMAT
    layers = [{**l, "stride": 1} if l["kind"] == "pool" else l for l in ck["config"]["layers"]]
    old = {k: v for k, v in ck.items() if k != "format"}
    torch.save({**old, "config": {**ck["config"], "layers": layers}}, tmp_path / CHECKPOINT)
    cfg, st, _ = load_checkpoint(tmp_path)
    assert st.phase == "done"
    pools = [l for l in cfg.layers if l.kind == LayerKind.POOL]
    assert [(p.kernel, p.stride) for p in pools] == [(2, 2), (2, 2)]