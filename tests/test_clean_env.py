"""`dietsnn` from a bare shell: compile, stitch (FIFOs sized by a Verilator simulation) and predict --level rtl with
an environment that holds only PATH (the venv's bin/ and the system's), as a Python user runs the installed command
without `source scripts/env.sh`. The tool environment comes from the installed packages (hw.toolenv), and every
work folder lives in the build folder or the cache, never in the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from dietsnn.netfile import IntNetwork
from dietsnn.ref import run_network
from dietsnn.testing import random_network

ROOT = Path(__file__).resolve().parents[1]


def _listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_compile_stitch_predict_rtl_with_only_path(tmp_path):
    venv_bin = Path(sys.executable).parent
    dietsnn = venv_bin / "dietsnn"
    assert dietsnn.is_file(), f"{dietsnn}: the installed command is missing (pip install -e . in the venv)"
    env = {"PATH": os.pathsep.join([str(venv_bin), os.defpath])}
    net = random_network(np.random.default_rng(21))
    net.save(tmp_path / "n.snn.npz")
    x = np.random.default_rng(22).integers(0, 256, (3, *net.input_shape)).astype(np.uint8)
    np.save(tmp_path / "x.npy", x)
    before = {d: _listing(ROOT / d) for d in ("sim_build", "FINN_TMP")}
    steps = [["compile", "n.snn.npz", "--fps", "20000", "--out", "b"],
             ["stitch", "b", "--size-fifos", "2"],
             ["predict", "n.snn.npz", "--images", "x.npy", "--level", "rtl", "--build", "b", "--out", "p.npz"]]
    for step in steps:
        res = subprocess.run([str(dietsnn), *step], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=600)
        assert res.returncode == 0, f"dietsnn {' '.join(step)} failed ({res.returncode}):\n{res.stderr[-3000:]}"
    with np.load(tmp_path / "p.npz") as p:
        assert np.array_equal(p["scores"], run_network(IntNetwork.load(tmp_path / "n.snn.npz"), x).scores)
    assert (tmp_path / "b" / "fifo_sizing" / "fifo_peaks.json").is_file()  # the sizing ran in the build folder
    assert not (tmp_path / "b" / "fifo_sizing" / "sim_build").exists()  # and its 100 MB model is gone
    assert {d: _listing(ROOT / d) for d in before} == before, "a work folder was written into the checkout"
