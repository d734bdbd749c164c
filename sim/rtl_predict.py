"""Run the stitched accelerator under Verilator (cocotb) on images, the scores checked against the golden inside
the testbench (``sim/test_network_rtl.py`` uses it; ``predict --level rtl`` runs the C++ harness, ``sim.harness``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dietsnn.artifacts import Stitched
from dietsnn.netfile import IntNetwork
from dietsnn.ref import run_network
from hw.weight_load import chain_beats

from .runner import run_cocotb


def simulate_images(build: str | Path, images: np.ndarray, work: str | Path, idle: float = 0.0,
                    backpressure: float = 0.0, testcase: str = "real_images_match_golden") -> dict:
    """Stream ``images`` through ``build``'s stitched RTL; scores are checked against the golden inside
    the testbench (a mismatch raises). Returns the scores and the measured cycles."""
    build = Path(build)
    meta = Stitched.load(build)
    net = IntNetwork.load(build / "network.snn.npz")
    golden = run_network(net, images).scores
    rtl = build / "rtl"
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    for m in meta.mem_files:  # $readmemh reads by name from the simulator's working folder
        (work / m).write_bytes((rtl / m).read_bytes())
    sources = [rtl / meta.waivers] + [rtl / s for s in meta.sources]
    stream = meta.stream.to_dict()
    run_cocotb(meta.top, sources, "tb_top", {}, vectors=dict(images=images, golden=golden,
                                                               stream=json.dumps(stream), idle=idle,
                                                               backpressure=backpressure,
                                                               **chain_beats(build, meta.weight_load)),
               work=work, testcase=testcase, build_root=work / "sim_build")
    perf = json.loads((work / "perf.json").read_text()) if (work / "perf.json").is_file() else {}
    return {"scores": golden, "perf": perf}
