"""Compiled build -> stitched RTL with FIFOs sized by simulation (what ``dietsnn stitch`` runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dietsnn.artifacts import CompileReport
from dietsnn.netfile import IntNetwork
from hw.compile import load_dataflow
from hw.stitch import StitchedDesign, stitch

from sim.fifo_sizing import size_fifos


def stitch_build(build: str | Path, size_frames: int = 3) -> tuple[StitchedDesign, dict | None]:
    """Stitch ``build`` (made by ``dietsnn compile``); with ``size_frames`` > 0 size its FIFOs by
    simulation and stitch again. Returns the design and the FIFO record."""
    build = Path(build)
    report_path = build / "report.json"
    if not report_path.is_file():
        raise FileNotFoundError(f"{report_path}: no compiled build (run `dietsnn compile` first)")
    report = CompileReport.load(report_path)
    if size_frames > 0 and report.impl == "hls":
        raise ValueError(f"{build} was compiled with --impl hls: its layers have no RTL before Vitis HLS runs, so "
                         "FIFOs cannot be sized by simulation here; stitch with --size-fifos 0, or size them on an "
                         "--impl rtl build of the same network (what `dietsnn bitstream --impl hls` does)")
    clk_ns = 1000.0 / report.clock_mhz
    design = stitch(load_dataflow(build), build, report.part, clk_ns)
    record = None
    if size_frames > 0:
        net = IntNetwork.load(build / "network.snn.npz")
        rng = np.random.default_rng(0)  # the dataflow's timing does not depend on pixel values
        images = rng.integers(0, 2 ** net.input_bits, (size_frames, *net.input_shape)).astype(np.uint8)
        record = size_fifos(build, images, build / "fifo_sizing")
        design = stitch(load_dataflow(build), build, report.part, clk_ns)
    return design, record
