"""``make bench-sim-speed``: how fast the RTL level simulates, before and after the speed-up -> sim_speed.json.

On a stitched build of the shipped fmnist network (``dietsnn compile models/fmnist
--fps 100000`` then ``dietsnn stitch --size-fifos 3``, made in ``--build`` when it is
not there), for each configuration of the stand-alone Verilator harness
(``sim/harness.py``, ``HarnessBuild``):

- the harness build from scratch: wall and CPU seconds (Verilator and the C++
  compiler, all processes);
- ``--images`` Fashion-MNIST test images through it (batches of 100 frames, spike
  taps on, as ``bench-network`` runs them): wall seconds, the simulator processes'
  CPU seconds, simulated cycles, cycles and images per wall second, cycles per CPU
  second, and the images whose scores equal the golden.

Configurations: ``before`` (``LEGACY`` options, one simulator process: how
``bench-network`` ran), ``after_1_process`` (``DEFAULT_BUILD``, one process) and
``after`` (``DEFAULT_BUILD``, ``--jobs`` processes over runs of ``--chunk`` images:
``bench-network``'s path now), measured back to back on the same images; the HLS
C-simulation chain (``sim.hls_chain``) on the same images too. The machine may be
shared: the load average around each step is recorded, and CPU seconds are the
steadier figure when it is loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Clock:
    """Wall and CPU seconds (this process and its waited-for children) between ``start`` and ``stop``."""

    def __enter__(self):
        self.load_before = os.getloadavg()[0]
        self.t0 = time.time()
        self.c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.s0 = resource.getrusage(resource.RUSAGE_SELF)
        return self

    def __exit__(self, *exc):
        c1, s1 = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        self.wall = time.time() - self.t0
        self.cpu_children = (c1.ru_utime + c1.ru_stime) - (self.c0.ru_utime + self.c0.ru_stime)
        self.cpu_self = (s1.ru_utime + s1.ru_stime) - (self.s0.ru_utime + self.s0.ru_stime)
        self.load_after = os.getloadavg()[0]
        return False

    def record(self) -> dict:
        return {"wall_s": round(self.wall, 2), "cpu_children_s": round(self.cpu_children, 2),
                "cpu_self_s": round(self.cpu_self, 2),
                "load_average_1min": [round(self.load_before, 2), round(self.load_after, 2)]}


def prepare(build: Path, fps: float) -> None:
    """``dietsnn compile models/fmnist --fps FPS --out BUILD`` and ``dietsnn stitch BUILD --size-fifos 3``."""
    from flow.cli import DEFAULT_RUN
    from flow.stitch import stitch_build
    from hw.compile import CompileOptions, compile_network

    if (build / "stitched.json").is_file() and (build / "fifo_depths.json").is_file():
        log(f"reusing the stitched build {build}")
        return
    log(f"compile {DEFAULT_RUN} at {fps:.0f} fps -> {build}")
    compile_network(DEFAULT_RUN / "network.snn.npz", build, CompileOptions(fps=fps))
    log("stitch, FIFOs sized by a 3-frame simulation")
    stitch_build(build, size_frames=3)


def measure(build: Path, name: str, options, jobs: int, chunk: int, images: np.ndarray, golden: np.ndarray,
            rebuild: bool) -> dict:
    """One configuration: its harness built from scratch (``rebuild``), then the images through it."""
    from dietsnn.harness import Harness
    from sim.harness import build_harness, run_images_parallel

    folder = build / "sim_speed" / name
    if rebuild:
        shutil.rmtree(folder, ignore_errors=True)
    log(f"{name}: build the harness ({' '.join(options.command_options())})")
    with Clock() as cb:
        h = Harness(build_harness(build, folder, options=options))
    log(f"{name}: {cb.wall:.0f} s wall, {cb.cpu_children:.0f} s CPU")
    log(f"{name}: {len(images)} images, {jobs} process(es), runs of {chunk}")
    with Clock() as cr:
        values, parts = run_images_parallel(h, images, batch=100, jobs=jobs, chunk=chunk, taps=True)
    cycles = int(sum(r.cycles for _, _, r in parts))
    same = int((values[:, :golden.shape[1]] == golden).all(axis=1).sum())
    res = {"options": asdict(options), "verilator_command_options": options.command_options(),
           "processes": jobs, "images_per_run": chunk,
           "harness_build": {**cb.record(), "rebuilt": rebuild},
           "simulation": {**cr.record(), "images": len(images), "identical_to_golden": same,
                          "simulated_cycles": cycles,
                          "cycles_per_wall_s": round(cycles / cr.wall),
                          "images_per_wall_s": round(len(images) / cr.wall, 2),
                          "cycles_per_cpu_s": round(cycles / max(cr.cpu_children, 1e-9))}}
    log(f"{name}: {cr.wall:.0f} s wall, {cr.cpu_children:.0f} s CPU, {cycles / cr.wall:,.0f} cycles/s, "
        f"{len(images) / cr.wall:.1f} images/s, {same}/{len(images)} identical")
    return res


def measure_hls(build: Path, images: np.ndarray, golden: np.ndarray, jobs: int) -> dict:
    from sim.hls_chain import HlsChain

    log(f"HLS chain: {len(images)} images, {jobs} job(s)")
    with Clock() as cb:
        chain = HlsChain(build, jobs=jobs)
    with Clock() as cr:
        scores = chain.run(images)
    same = int((scores[:, :golden.shape[1]] == golden).all(axis=1).sum())
    log(f"HLS chain: {cr.wall:.0f} s wall, {cr.cpu_children + cr.cpu_self:.0f} s CPU, "
        f"{same}/{len(images)} identical")
    return {"jobs": jobs, "compile": cb.record(), "run": {**cr.record(), "images": len(images),
                                                         "identical_to_golden": same,
                                                         "images_per_wall_s": round(len(images) / cr.wall, 2)}}


def main() -> int:
    from dietsnn.datasets import load_fmnist_arrays
    from dietsnn.harness import default_jobs
    from dietsnn.fsutil import atomic_write_text
    from dietsnn.netfile import IntNetwork
    from dietsnn.ref import run_network
    from sim.harness import DEFAULT_BUILD, LEGACY

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", help="a stitched fmnist build (compiled at --fps and stitched here when missing; "
                                    "default: CACHE/sim_speed/fmnist_<fps>, outside the checkout)")
    ap.add_argument("--fps", type=float, default=100000)
    ap.add_argument("--images", type=int, default=500, help="test images per configuration")
    ap.add_argument("--jobs", type=int, default=default_jobs(), help="simulator processes of the 'after' run")
    ap.add_argument("--chunk", type=int, help="images per simulator run (default: the images over --jobs)")
    ap.add_argument("--reuse", action="store_true", help="keep harnesses already built (no build timing)")
    ap.add_argument("--skip-before", action="store_true")
    ap.add_argument("--skip-hls", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "sim_speed.json"))
    a = ap.parse_args()
    from hw.toolenv import cache_dir

    build = Path(a.build).expanduser().resolve() if a.build else cache_dir() / "sim_speed" / f"fmnist_{a.fps:.0f}"
    prepare(build, a.fps)
    images = load_fmnist_arrays("test")[0][: a.images]
    golden = run_network(IntNetwork.load(build / "network.snn.npz"), images).scores
    chunk_after = a.chunk or -(-len(images) // a.jobs)
    configs = [] if a.skip_before else [("before", "before", LEGACY, 1, len(images))]
    configs += [("after_1_process", "after", DEFAULT_BUILD, 1, len(images)),
                ("after", "after", DEFAULT_BUILD, a.jobs, chunk_after)]
    runs, built = {}, {}
    for name, folder, options, jobs, chunk in configs:
        runs[name] = measure(build, folder, options, jobs, chunk, images, golden, not a.reuse and folder not in built)
        if folder in built:
            runs[name]["harness_build"] = {"same_as": built[folder]}
        built.setdefault(folder, name)
    report = json.loads((build / "report.json").read_text())
    result = {"build": str(build), "cycles_per_frame_bound": report["max_cycles"], "cpus": default_jobs(),
              "runs": runs}
    if "before" in runs:
        b, f = runs["before"], runs["after"]
        bb, fb = b["harness_build"], runs["after_1_process"]["harness_build"]
        result["speedup"] = {
            "simulation_wall": round(b["simulation"]["wall_s"] / f["simulation"]["wall_s"], 2),
            "simulation_cycles_per_cpu_s": round(f["simulation"]["cycles_per_cpu_s"]
                                                 / b["simulation"]["cycles_per_cpu_s"], 2),
            "harness_build_wall": round(bb["wall_s"] / fb["wall_s"], 2) if bb.get("rebuilt") and fb.get("rebuilt")
            else None}
    if not a.skip_hls:
        result["hls_chain"] = measure_hls(build, images, golden, a.jobs)
    atomic_write_text(Path(a.out), json.dumps(result, indent=2) + "\n")
    log(f"wrote {a.out}")
    print(json.dumps(result.get("speedup", {}), indent=2))
    ok = all(r["simulation"]["identical_to_golden"] == len(images) for r in runs.values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
