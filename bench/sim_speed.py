"""``make bench-sim-speed``: how fast the RTL level simulates, against earlier revisions, in one run -> sim_speed.json.

Issue 10's yardstick is the time to put all 10,000 Fashion-MNIST test images through the stitched RTL on this
2-core machine. Figures from different sessions are not comparable (the machine is shared, and the design
changed), so this bench measures, back to back on the same ``--images`` test images:

- ``issue_baseline``: the checkout when issue 10 was filed (``9bf69ef``): its default 50k-fps build, its
  harness, one simulator process, through its own ``bench.network`` (1,147 s for 10,000 images then, on a
  loaded machine);
- ``before``: the last revision before the bit-sliced compressor trees (``fd7eb51``): the same 100k build as
  ``after``, its harness, ``--jobs`` processes, through its own ``bench.network``;
- ``after_1_process`` and ``after``: this checkout (``sim/harness.py``, ``DEFAULT_BUILD``) on a build of the
  shipped fmnist network (``dietsnn compile models/fmnist --fps 100000``, FIFOs sized by a 3-frame
  simulation), one process and ``--jobs`` processes over runs of ``--chunk`` images (``bench-network``'s path);
- the HLS C-simulation chain (``sim.hls_chain``) on the same images.

A revision is exported with ``git archive`` into the cache (outside the checkout) and built there with this
virtualenv; it is skipped, with the reason recorded, when the checkout has no git history. Each run records
the harness build (wall and CPU seconds, Verilator and the C++ compiler), the simulation's wall and CPU
seconds, simulated cycles, cycles and images per wall second, the images whose scores equal the golden, and
the seconds that 10,000 images would take at that rate. The load average around each step is recorded.
Harnesses compile without ccache, so that their build times are from scratch.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
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
                          "seconds_per_10000_images": round(cr.wall / len(images) * 10000),
                          "cycles_per_cpu_s": round(cycles / max(cr.cpu_children, 1e-9))}}
    log(f"{name}: {cr.wall:.0f} s wall, {cr.cpu_children:.0f} s CPU, {cycles / cr.wall:,.0f} cycles/s, "
        f"{len(images) / cr.wall:.1f} images/s, {same}/{len(images)} identical")
    return res


#: (run name, revision, fps, what it is); the revisions' own bench.network runs them
REVISIONS = (
    ("issue_baseline", "9bf69ef", 50000.0, "the checkout when issue 10 was filed: its default 50k build, one "
                                           "simulator process"),
    ("before", "fd7eb51", 100000.0, "the last revision before the bit-sliced compressor trees: the same 100k build, "
                                    "its harness"),
)


def measure_revision(name: str, rev: str, fps: float, what: str, n_images: int, jobs: int) -> dict:
    """An earlier revision's RTL run: exported with ``git archive``, compiled, stitched and simulated by its own
    ``bench.network`` on the first ``n_images`` test images (no Yosys, FINN, timing or HLS)."""
    work = cache_root() / f"rev_{rev}"
    src, build, out = work / "src", work / f"build_{fps:.0f}", work / "network.json"
    git = shutil.which("git")
    if not git or not (ROOT / ".git").exists():
        return {"revision": rev, "what": what, "skipped": f"{ROOT} has no git history to export {rev} from"}
    if not (src / "bench" / "network.py").is_file():
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir(parents=True)
        arc = subprocess.run([git, "-C", str(ROOT), "archive", rev], capture_output=True)
        if arc.returncode != 0:
            return {"revision": rev, "what": what,
                    "skipped": f"git archive {rev} failed: {arc.stderr.decode(errors='replace').strip()}"}
        subprocess.run(["tar", "-x", "-C", str(src)], input=arc.stdout, check=True)
    shutil.rmtree(build, ignore_errors=True)  # the harness is built from scratch, as in the other runs
    cmd = [sys.executable, "-m", "bench.network", "--build", str(build), "--fps", f"{fps:.0f}", "--limit",
           str(n_images), "--skip-synth", "--skip-finn", "--out", str(out)]
    help_text = subprocess.run([*cmd[:3], "--help"], cwd=src, capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": str(src)}).stdout
    cmd += [f for f in ("--skip-timing", "--skip-hls", "--no-whole") if f in help_text]
    if "--jobs" in help_text:  # runs of n / jobs images, `jobs` at once (its default run is 1,000 images)
        cmd += ["--jobs", str(jobs), "--chunk", str(-(-n_images // jobs))]
    log(f"{name}: {rev} ({what}): {' '.join(cmd[1:])}")
    with Clock() as c:
        res = subprocess.run(cmd, cwd=src, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(src)})
    (work / "bench_network.log").write_text(res.stdout + res.stderr)
    if res.returncode != 0:
        raise RuntimeError(f"{name}: {rev}'s bench.network failed (log: {work / 'bench_network.log'}):\n"
                           f"{res.stderr[-2000:]}")
    doc = json.loads(out.read_text())
    r = next(b for b in (list(doc.get("builds", [])) + [doc]) if isinstance(b, dict) and "simulated_cycles" in b)
    wall, cycles, n = r["wall_seconds"], int(r["simulated_cycles"]), int(r["images"])
    sim = float(wall["simulation"])
    log(f"{name}: harness build {wall['harness_build']:.0f} s, {n} images {sim:.1f} s")
    return {"revision": rev, "what": what, "fps_target": fps, "processes": r.get("simulation_jobs") or 1,
            "harness_build": {"wall_s": round(float(wall["harness_build"]), 2), "rebuilt": True},
            "simulation": {"wall_s": round(sim, 2), "images": n,
                           "identical_to_golden": int(r["rtl_vs_golden"]["identical_scores"]),
                           "simulated_cycles": cycles, "cycles_per_wall_s": round(cycles / sim),
                           "images_per_wall_s": round(n / sim, 2),
                           "seconds_per_10000_images": round(sim / n * 10000),
                           "steady_cycles_per_frame": r["performance"]["steady_cycles_per_frame"]},
            "load_average_1min": c.record()["load_average_1min"]}


def cache_root() -> Path:
    from hw.toolenv import cache_dir

    return cache_dir() / "sim_speed"


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
    from sim.harness import DEFAULT_BUILD

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", help="a stitched fmnist build (compiled at --fps and stitched here when missing; "
                                    "default: CACHE/sim_speed/fmnist_<fps>, outside the checkout)")
    ap.add_argument("--fps", type=float, default=100000)
    ap.add_argument("--images", type=int, default=500, help="test images per configuration")
    ap.add_argument("--jobs", type=int, default=default_jobs(), help="simulator processes of the 'after' run")
    ap.add_argument("--chunk", type=int, help="images per simulator run (default: the images over --jobs)")
    ap.add_argument("--reuse", action="store_true", help="keep harnesses already built (no build timing)")
    ap.add_argument("--skip-revisions", action="store_true", help="only this checkout (no earlier revision)")
    ap.add_argument("--skip-hls", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "sim_speed.json"))
    a = ap.parse_args()
    # every harness compiled from scratch: no ccache (an empty OBJCACHE wins over hw.toolenv's default; revisions
    # before ccache never used it)
    os.environ["OBJCACHE"] = ""

    build = Path(a.build).expanduser().resolve() if a.build else cache_root() / f"fmnist_{a.fps:.0f}"
    prepare(build, a.fps)
    images = load_fmnist_arrays("test")[0][: a.images]
    golden = run_network(IntNetwork.load(build / "network.snn.npz"), images).scores
    chunk_after = a.chunk or -(-len(images) // a.jobs)
    runs = {}
    if not a.skip_revisions:
        for name, rev, fps, what in REVISIONS:
            runs[name] = measure_revision(name, rev, fps, what, len(images), a.jobs)
    runs["after_1_process"] = measure(build, "after", DEFAULT_BUILD, 1, len(images), images, golden, not a.reuse)
    runs["after"] = measure(build, "after", DEFAULT_BUILD, a.jobs, chunk_after, images, golden, False)
    runs["after"]["harness_build"] = {"same_as": "after_1_process"}
    report = json.loads((build / "report.json").read_text())
    result = {"build": str(build), "cycles_per_frame_bound": report["max_cycles"], "cpus": default_jobs(),
              "images": len(images), "runs": runs}
    after = runs["after"]["simulation"]
    result["speedup_of_after"] = {
        name: {"simulation_wall": round(r["simulation"]["wall_s"] / after["wall_s"], 2),
               "harness_build_wall": round(r["harness_build"]["wall_s"]
                                           / runs["after_1_process"]["harness_build"]["wall_s"], 2)
               if runs["after_1_process"]["harness_build"].get("rebuilt") else None}
        for name, r in runs.items() if name != "after" and "simulation" in r}
    if not a.skip_hls:
        result["hls_chain"] = measure_hls(build, images, golden, a.jobs)
    atomic_write_text(Path(a.out), json.dumps(result, indent=2) + "\n")
    log(f"wrote {a.out}")
    print(json.dumps(result["speedup_of_after"], indent=2))
    ok = all(r["simulation"]["identical_to_golden"] == r["simulation"]["images"] for r in runs.values()
             if "simulation" in r)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
