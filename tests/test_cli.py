"""The dietsnn command line: predict writes the golden's scores; errors name the argument."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dietsnn.testing import random_network
from flow.cli import DEFAULT_RUN, main
from dietsnn.ref import run_network

ROOT = Path(__file__).resolve().parents[1]


def test_predict_golden_writes_scores_and_pred(rng, tmp_path):
    net = random_network(rng)
    path = net.save(tmp_path / "n.snn.npz")
    x = rng.integers(0, 256, (7, *net.input_shape)).astype(np.uint8)
    np.save(tmp_path / "x.npy", x)
    assert main([ "predict", str(path), "--images", str(tmp_path / "x.npy"), "--out", str(tmp_path / "p.npz")]) == 0
    with np.load(tmp_path / "p.npz") as p:
        ref = run_network(net, x)
        assert p["scores"].dtype == np.int64 and p["pred"].dtype == np.int64
        assert np.array_equal(p["scores"], ref.scores) and np.array_equal(p["pred"], ref.pred)


def test_predict_rejects_non_uint8_images(rng, tmp_path, capsys):
    net = random_network(rng)
    path = net.save(tmp_path / "n.snn.npz")
    np.save(tmp_path / "x.npy", rng.integers(0, 256, (2, *net.input_shape)).astype(np.int32))
    assert main(["predict", str(path), "--images", str(tmp_path / "x.npy"), "--out", str(tmp_path / "p.npz")]) == 2
    assert "--images" in capsys.readouterr().err and not (tmp_path / "p.npz").exists()


def test_predict_on_a_malformed_network_names_the_file(tmp_path, capsys):
    (tmp_path / "bad.snn.npz").write_bytes(b"xx")
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 8, 8), np.uint8))
    assert main(["predict", str(tmp_path / "bad.snn.npz"), "--images", str(tmp_path / "x.npy"), "--out", str(tmp_path / "p.npz")]) == 2
    assert "bad.snn.npz: not a readable .npz archive" in capsys.readouterr().err


def test_shipped_default_network_is_present_and_valid():
    from dietsnn.netfile import IntNetwork

    net = IntNetwork.load(DEFAULT_RUN / "network.snn.npz")
    assert net.T == 5 and net.weight_bits == 4 and net.input_shape == (1, 28, 28)


def test_console_script_help():
    res = subprocess.run([sys.executable, "-m", "flow.cli", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0
    for cmd in ("train", "export", "predict", "evaluate"):
        assert cmd in res.stdout


@pytest.mark.parametrize("level", ["qonnx", "dataflow"])
def test_predict_levels_equal_golden(rng, tmp_path, level):
    net = random_network(rng)
    path = net.save(tmp_path / "n.snn.npz")
    x = rng.integers(0, 256, (3, *net.input_shape)).astype(np.uint8)
    np.save(tmp_path / "x.npy", x)
    assert main(["predict", str(path), "--images", str(tmp_path / "x.npy"), "--out", str(tmp_path / "p.npz"),
                 "--level", level]) == 0
    with np.load(tmp_path / "p.npz") as p:
        assert np.array_equal(p["scores"], run_network(net, x).scores)
