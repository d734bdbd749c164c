"""FIFO depths from the project's own simulation (FINN's simulation-based sizing needs Vivado).

The stitched design is simulated with ``FINN_SIMULATION`` defined, which turns
every ``StreamingFIFO_rtl`` into FINN's ``fifo_gauge`` (an unbounded FIFO that
reports its peak fill on ``maxcount``). A few frames stream through back to
back with no stalls; each FIFO's depth becomes its peak plus a margin (at
least 2), so no stage ever waits on a full FIFO at full rate and the design
cannot deadlock. The measured peaks and chosen depths are written to
``BUILD/fifo_depths.json``. The simulation is compiled and run in the work
folder the caller names (``BUILD/fifo_sizing``), never in the checkout.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from qonnx.custom_op.registry import getCustomOp

from dietsnn.artifacts import FifoDepths, Stitched
from dietsnn.fsutil import atomic_path
from dietsnn.netfile import IntNetwork
from dietsnn.ref import run_network

from .runner import run_cocotb

MARGIN = 2


def measure_fifo_peaks(build: Path, images: np.ndarray, work: Path) -> dict[str, int]:
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
    model_dir = work / "sim_build"  # the compiled model lives in the build folder, never in the checkout
    run_cocotb(meta.top, [rtl / meta.waivers] + [rtl / s for s in meta.sources], "tb_top", {},
               vectors=dict(images=images, golden=run_network(net, images).scores, stream=json.dumps(stream),
                            idle=0.0, backpressure=0.0, fifos=np.array(fifos)),
               work=work, testcase="measure_fifo_occupancy", defines={"FINN_SIMULATION": 1}, build_root=model_dir)
    peaks = json.loads((work / "fifo_peaks.json").read_text())
    shutil.rmtree(model_dir, ignore_errors=True)  # about 100 MB per design, and its FIFOs change next
    return peaks


def size_fifos(build: str | Path, images: np.ndarray, work: str | Path) -> dict:
    """Measure, set the depths in ``BUILD/dataflow.onnx`` and record them; the caller stitches again."""
    from hw.compile import DATAFLOW, load_dataflow

    build = Path(build)
    peaks = measure_fifo_peaks(build, images, Path(work))
    model = load_dataflow(build)
    depths = {}
    for node in model.graph.node:
        if node.op_type == "StreamingFIFO_rtl" and node.name in peaks:
            depth = max(2, peaks[node.name] + MARGIN)
            getCustomOp(node).set_nodeattr("depth", int(depth))
            depths[node.name] = depth
    with atomic_path(build / DATAFLOW) as tmp:
        model.save(str(tmp))
    record = FifoDepths(method="Verilator simulation of the stitched design with FINN's fifo_gauge FIFOs "
                               f"({len(images)} frames back to back, no stalls); depth = peak fill + {MARGIN}",
                        frames=int(len(images)), peaks=peaks, depths=depths)
    record.save(build)
    return record.to_dict()
