"""FIFO depths from the project's own simulation (FINN's simulation-based sizing needs Vivado).

The stitched design is simulated with ``FINN_SIMULATION`` defined, which turns
every ``StreamingFIFO_rtl`` into FINN's ``fifo_gauge`` (an unbounded FIFO that
reports its peak fill on ``maxcount``). A few frames stream through with the
input paced to the build's rate (``hw.fifos.pace_period``: one frame per
period of the folding's slowest layer, evenly spread, as a source at that
frame rate delivers them; the sink never stalls); each FIFO's depth becomes its peak plus a margin
(at least 2). With those depths the paced run never finds a FIFO full, so the
design sustains the rate it was sized for; a faster source is held back by
the first FIFO, and a linear chain cannot deadlock. Sizing with a source that
never pauses (``pace_period=None``) instead measures how far each upstream
stage runs ahead of the bottleneck: frames pile up in front of the slowest
layer (the depth grows with the frames simulated), which is what the rate
pacing avoids. The measured peaks and chosen depths are written to
``BUILD/fifo_depths.json``, and the FIFOs' estimates into ``BUILD/report.json``
(``hw.fifos.refresh_report``). The simulation is compiled and run in the work
folder the caller names (``BUILD/fifo_sizing``), never in the checkout.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from qonnx.custom_op.registry import getCustomOp

from dietsnn.artifacts import CompileReport, FifoDepths, Stitched
from dietsnn.fsutil import atomic_path
from dietsnn.netfile import IntNetwork
from dietsnn.ref import run_network
from hw.weight_load import chain_beats



from .runner import run_cocotb

MARGIN = 2


def measure_fifo_peaks(build: Path, images: np.ndarray, work: Path, pace_period: int | None = None) -> dict[str, int]:
    """Each FIFO's peak fill with ``images`` streamed through, the input paced to one frame per ``pace_period``
    cycles (None: a source that never pauses)."""
    build = Path(build)
    meta = Stitched.load(build)
    net = IntNetwork.load(build / "network.snn.npz")
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    rtl = build / "rtl"
    for m in meta.mem_files:
        (work / m).write_bytes((rtl / m).read_bytes())
    fifos = [name for name, op_type in meta.nodes if op_type == "StreamingFIFO_rtl"]
    stream = meta.stream.to_dict()
    pacing = {} if pace_period is None else {"pace_period": np.int64(pace_period)}
    model_dir = work / "sim_build"  # the compiled model lives in the build folder, never in the checkout
    run_cocotb(meta.top, [rtl / meta.waivers] + [rtl / s for s in meta.sources], "tb_top", {},
               vectors=dict(images=images, golden=run_network(net, images).scores, stream=json.dumps(stream),
                            idle=0.0, backpressure=0.0, fifos=np.array(fifos), **pacing,
                            **chain_beats(build, meta.weight_load)),
               work=work, testcase="measure_fifo_occupancy", defines={"FINN_SIMULATION": 1}, build_root=model_dir)
    peaks = json.loads((work / "fifo_peaks.json").read_text())
    shutil.rmtree(model_dir, ignore_errors=True)  # about 100 MB per design, and its FIFOs change next
    return peaks


def size_fifos(build: str | Path, images: np.ndarray, work: str | Path, paced: bool = True) -> dict:
    """Measure, set the depths in ``BUILD/dataflow.onnx``, record them and the FIFOs' estimates in
    ``BUILD/report.json``; the caller stitches again. ``paced``: the input at the build's rate
    (``hw.fifos.pace_period``), else a source that never pauses."""
    from hw.compile import DATAFLOW, load_dataflow
    from hw.fifos import pace_period, refresh_report

    build = Path(build)
    report = CompileReport.load(build)
    period = pace_period(report) if paced else None
    peaks = measure_fifo_peaks(build, images, Path(work), period)
    model = load_dataflow(build)
    depths = {}
    for node in model.graph.node:
        if node.op_type == "StreamingFIFO_rtl" and node.name in peaks:
            depth = max(2, peaks[node.name] + MARGIN)
            getCustomOp(node).set_nodeattr("depth", int(depth))
            depths[node.name] = depth
    with atomic_path(build / DATAFLOW) as tmp:
        model.save(str(tmp))
    source = (f"the input paced to one frame per {period} cycles (the build's rate, {report.clock_mhz * 1e6 / period:,.0f} "
              f"frames/s at {report.clock_mhz:g} MHz), the output never stalled" if period else
              "back to back with no stalls")
    record = FifoDepths(method="Verilator simulation of the stitched design with FINN's fifo_gauge FIFOs "
                               f"({len(images)} frames, {source}); depth = peak fill + {MARGIN}",
                        frames=int(len(images)), peaks=peaks, depths=depths)
    record.save(build)
    refresh_report(build, model, record.method)
    return record.to_dict()
