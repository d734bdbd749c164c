"""``make bench-network``: the stitched fmnist accelerator on all 10,000 test images in RTL, against FINN's ANN twin.

For each target (default 100,000 frames/s, the default build, on all 10,000
test images, and 50,000 on the first 1,000) the shipped network is compiled
and stitched (FIFOs sized at the target rate) and ``bench/results/network.json``
gets, per build (``builds``; the first build's figures also at the top level):

- RTL == golden on every score of the 10,000 test images (the Verilator model of
  ``dietsnn_accel`` driven by ``sim/harness``, batches of 100 frames, TLAST checked,
  runs of 1,000 images in parallel simulator processes, ``--jobs``);
  a run under random input gaps and output backpressure too;
- HLS == golden on the same images: every layer's C simulation in a chain
  (``sim.hls_chain``, ``predict --level hls``; ``--skip-hls`` leaves it out);
- steady-state cycles per frame and the latency of one frame into an empty
  pipeline, against the folding's bound; frames per second at the clock;
- the compute-energy ratio of SPEC section 7 from the spikes the RTL produced
  (counted on every spiking layer's output stream), next to the golden's;
- the whole design's Yosys resources (``bench.network_synth``: the whole top when
  yowasp's slang frontend takes it, else every instance on its own, summed) against
  the xczu7ev, per layer with its variant and the folding's reason (``layers``);
- the timing proxy of every block (``hw.proxy``): the clock it implies and the
  frames/s at that clock next to 200 MHz;
- the ANN twin through FINN's own flow to estimates at the same frame rate
  (``bench.finn_ann``): FINN's defaults, FINN's ``SetFolding`` with
  ``mvau_wwidth_max`` 64, and where that misses the target a folding that reaches
  it (``bench.twin_folding``), side by side with the SNN (LUT, BRAM, DSP, frames/s,
  frames/s per kLUT, accuracy).

Stages are cached in the build folder; ``--limit`` runs fewer images (a smoke run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from dietsnn.harness import Harness
from flow.cli import DEFAULT_RUN
from dietsnn.datasets import load_fmnist_arrays
from dietsnn.artifacts import CompileReport, FifoDepths, Stitched
from dietsnn.fsutil import atomic_write_text
from hw.toolenv import cache_dir
from dietsnn.netfile import IntNetwork
from dietsnn.ref import run_network
from dietsnn.ref.energy import energy_report, synaptic_ops
from dietsnn.vocab import Kind

ROOT = Path(__file__).resolve().parent.parent
XCZU7EV = {"LUT": 230400, "FF": 460800, "BRAM_18K": 624, "DSP": 1728}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def prepare(build: Path, fps: float) -> dict:
    """Compile and stitch (FIFOs sized by simulation) unless ``build`` already holds that build."""
    from hw.compile import CompileOptions, compile_network
    from flow.stitch import stitch_build

    report_path = build / CompileReport.FILE
    if report_path.is_file() and (build / Stitched.FILE).is_file() and \
            CompileReport.load(report_path).target_fps == fps and (build / FifoDepths.FILE).is_file():
        log(f"reusing {build}")
        return CompileReport.load(report_path).to_dict()
    log(f"compile {DEFAULT_RUN} at {fps:.0f} fps -> {build}")
    report = compile_network(DEFAULT_RUN / "network.snn.npz", build, CompileOptions(fps=fps))
    log("stitch, FIFOs sized by simulation")
    stitch_build(build, size_frames=3)
    return report


def rtl_synops(net: IntNetwork, harness: Harness, taps: dict[str, np.ndarray]) -> dict[str, int]:
    """Synaptic operations of every weighted layer after the first, from the spikes its input stream carried
    in the RTL (synaptic_ops is linear in the spikes, so summed spike maps give the exact total)."""
    out = {}
    for i, layer in enumerate(net.layers):
        if not layer.has_weights or layer.kind is Kind.INPUT_LIF:
            continue
        src = net.layers[i - 1].name
        spikes = harness.spike_map(src, taps[src])  # (C, H, W) or (F,)
        spikes = spikes[None, None] if layer.is_conv else spikes.reshape(1, 1, -1)  # (T=1, N=1, ...)
        out[layer.name] = synaptic_ops(layer, spikes)
    return out


def content_hash(files) -> str:
    """SHA-256 prefix of the names and bytes of ``files`` (a saved result is reused only for the same sources)."""
    h = hashlib.sha256()
    for f in sorted(Path(f) for f in files):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def run_rtl_cached(build: Path, images: np.ndarray, golden: np.ndarray, chunk: int, batch: int,
                   jobs: int | None = None) -> dict:
    """``run_rtl``, or its saved result for the same network, stitched RTL, harness, images and golden
    (``BUILD/bench_rtl.*``)."""
    from sim.harness import build_harness

    sources = [f for f in (build / "rtl").rglob("*") if f.is_file()] + [ROOT / "sim" / "harness" / "axis_harness.cpp"]
    key = f"{Stitched.load(build).network_id}-{content_hash(sources)}-" \
          f"{len(images)}-{int(golden.sum())}-{chunk}-{batch}"
    meta_path, taps_path = build / "bench_rtl.json", build / "bench_rtl_taps.npz"
    if meta_path.is_file() and taps_path.is_file() and json.loads(meta_path.read_text()).get("key") == key:
        log(f"reusing the RTL run saved in {meta_path}")
        res = json.loads(meta_path.read_text())
        with np.load(taps_path) as z:
            res["taps"] = {k: z[k] for k in z.files}
        res["harness"] = Harness(build_harness(build))
        return res
    res = run_rtl(build, images, golden, chunk, batch, jobs)
    np.savez(taps_path, **res["taps"])
    atomic_write_text(meta_path, json.dumps({"key": key, **{k: v for k, v in res.items()
                                                             if k not in ("taps", "harness", "net")}}, indent=2))
    return res


def run_rtl(build: Path, images: np.ndarray, golden: np.ndarray, chunk: int, batch: int,
            jobs: int | None = None) -> dict:
    from dietsnn.harness import default_jobs
    from sim.harness import build_harness, run_images, run_images_parallel

    log("build the Verilator harness")
    t = time.time()
    harness = Harness(build_harness(build))
    build_s = time.time() - t
    classes = golden.shape[1]
    jobs = jobs or default_jobs()
    t = time.time()  # runs of `chunk` images (each from reset), `jobs` simulator processes at once
    values, parts = run_images_parallel(harness, images, batch=batch, jobs=jobs, chunk=chunk, taps=True)
    sim_s = time.time() - t
    bad = np.flatnonzero((values[:, :classes] != golden).any(axis=1))
    mismatches = len(bad)
    if len(bad):
        log(f"MISMATCH images {bad[:10].tolist()}")
    taps: dict[str, np.ndarray] = {}
    steady, cycles = [], 0
    for start, stop, run in parts:
        cycles += run.cycles
        for k, v in run.taps.items():
            taps[k] = taps.get(k, 0) + v
        steady.extend(np.diff(run.frame_done[(stop - start) // 2:]).tolist())
    log(f"{len(images)} images in {len(parts)} runs, {jobs} at once: {len(images) - mismatches}/{len(images)} "
        f"equal, {sim_s:.0f} s, {cycles / max(sim_s, 1e-9):,.0f} cycles/s")
    _, one = run_images(harness, images[:1])
    stall_values, _ = run_images(harness, images[:50], batch=7, idle=0.3, backpressure=0.4, seed=3)
    stall_scores = stall_values[:, :classes]
    return {"harness": harness, "taps": taps, "mismatches": mismatches,
            "steady_cycles_per_frame": float(np.median(steady)), "steady_cycles_max": int(np.max(steady)),
            "latency_cycles": int(one.frame_done[0] - one.frame_start[0]),
            "stalls_50_frames_equal": bool(np.array_equal(stall_scores, golden[:50])),
            "harness_build_s": build_s, "simulation_s": sim_s, "simulated_cycles": cycles, "jobs": jobs}


def run_hls_cached(build: Path, images: np.ndarray, golden: np.ndarray, jobs: int | None = None) -> dict:
    """``run_hls``, or its saved result for the same dataflow graph, HLS sources, images and golden
    (``BUILD/bench_hls.json``): a later stage that fails does not cost the chain's minutes again."""
    sources = [build / "dataflow.onnx", *sorted((ROOT / "hw" / "hls").glob("*.h")), ROOT / "hw" / "hls_gen.py",
               ROOT / "sim" / "hls_chain.py"]
    key = f"{content_hash(sources)}-{len(images)}-{int(golden.sum())}"
    path = build / "bench_hls.json"
    if path.is_file() and json.loads(path.read_text()).get("key") == key:
        log(f"reusing the HLS chain run saved in {path}")
        return {k: v for k, v in json.loads(path.read_text()).items() if k != "key"}
    res = run_hls(build, images, golden, jobs)
    atomic_write_text(path, json.dumps({"key": key, **res}, indent=2) + "\n")
    return res


def run_hls(build: Path, images: np.ndarray, golden: np.ndarray, jobs: int | None = None) -> dict:
    """Every layer's HLS C simulation in a chain (``sim.hls_chain``, ``predict --level hls``) on ``images``."""
    from sim.hls_chain import HlsChain

    log(f"HLS C simulations in a chain on {len(images)} images")
    t = time.time()
    chain = HlsChain(build, jobs=jobs)
    compile_s = time.time() - t
    t = time.time()
    scores = chain.run(images)[:, :golden.shape[1]]
    run_s = time.time() - t
    bad = np.flatnonzero((scores != golden).any(axis=1))
    if len(bad):
        log(f"HLS MISMATCH images {bad[:10].tolist()}")
    log(f"HLS chain: {len(images) - len(bad)}/{len(images)} equal, {run_s:.0f} s ({chain.jobs} jobs)")
    return {"images": len(images), "identical_scores": len(images) - len(bad), "jobs": chain.jobs,
            "layers_in_csim": [s.node for s in chain.stages if s.how == "csim"],
            "wall_seconds": {"compile": compile_s, "run": run_s},
            "stage_wall_seconds": {k: round(v, 1) for k, v in chain.times.stages.items() if v >= 0.05}}


def finn_ann(fps: float, clock_mhz: float, work: Path) -> dict:
    """The ANN twin through FINN's own flow to estimates at ``fps``: FINN's defaults (``mvau_wwidth_max`` 36),
    FINN's ``SetFolding`` with ``mvau_wwidth_max`` 64, and, where FINN misses the target, the folding that
    reaches it (``bench.twin_folding.fold_to_target``): the twin at equal frames/s."""
    from qonnx.core.modelwrapper import ModelWrapper

    from bench.finn_ann import ann_estimate
    from bench.twin_folding import fold_to_target
    from quant_train.train import load_ann

    ann = load_ann(DEFAULT_RUN)
    images, _ = load_fmnist_arrays("test")

    def row(r, how):
        t = r["total_resources"]
        return {"folding": how, "LUT": int(t["LUT"]), "BRAM_18K": int(t["BRAM_18K"]), "DSP": int(t["DSP"]),
                "URAM": int(t.get("URAM", 0)), "estimated_fps": r["estimated_fps"], "max_cycles": r["max_cycles"],
                "target_met": r["target_met"], "bottleneck": r["max_cycles_node"], "folding_of": r["folding"],
                "layer_resources": {k: {q: v[q] for q in ("LUT", "BRAM_18K", "DSP")} for k, v in
                                    r["layer_resources"].items()},
                "agreement_with_pytorch": {k: v for k, v in r["agreement"].items() if k != "torch_predictions"}}

    rows = {}
    for label, wmax in (("FINN defaults (mvau_wwidth_max 36)", 36), ("FINN SetFolding, mvau_wwidth_max 64", 64)):
        log(f"FINN flow on the ANN twin at {fps:.0f} fps: {label}")
        r = ann_estimate(ann, tuple(ann.input_shape), fps=fps, clock_mhz=clock_mhz, work_dir=work / f"w{wmax}",
                         images=images[:100], mvau_wwidth_max=wmax)
        rows[label] = row(r, label)
    if not rows["FINN SetFolding, mvau_wwidth_max 64"]["target_met"]:
        label = "folded to the target (bench.twin_folding)"
        log(f"FINN flow on the ANN twin at {fps:.0f} fps: {label}")
        cfg = fold_to_target(ModelWrapper(str(work / "w64" / "estimated.onnx")), int(clock_mhz * 1e6 / fps))
        r = ann_estimate(ann, tuple(ann.input_shape), fps=fps, clock_mhz=clock_mhz, work_dir=work / "to_target",
                         images=images[:100], mvau_wwidth_max=64, folding_config=cfg)
        rows[label] = {**row(r, label), "config": cfg}
    return rows


def layer_table(report: dict, syn: dict | None) -> list[dict]:
    """Per layer (and the FIFOs / width converters): variant, folding, cycles, the estimate and the Yosys LUT, FF,
    BRAM18 and DSP of its nodes, and why the folding chose its variant."""
    inst = {r["name"]: r for r in (syn or {}).get("instances", [])}
    rows, seen = [], set()

    def yosys(names):
        got = [inst[n] for n in names if n in inst]
        if not got or len(got) < len(names):
            return {}
        return {k: (None if any(g.get(k) is None for g in got) else sum(g[k] for g in got))
                for k in ("LUT", "FF", "BRAM_18K", "DSP")}

    for l in report["layers"]:
        names = [n["node"] for n in l["nodes"]]
        seen.update(names)
        main = l["nodes"][-1]
        rows.append({"layer": l["layer"], "kind": l["kind"], "variant": main.get("variant"), "SIMD": l["SIMD"],
                     "PE": l["PE"], "cycles": l["cycles"], "estimate": {k: l[k] for k in ("LUT", "BRAM_18K", "DSP")},
                     "yosys": yosys(names), "why": main.get("variant_costs", "")})
    glue = [n["node"] for n in report["interconnect"]]
    rows.append({"layer": "FIFOs + width converters", "kind": f"{len(glue)} nodes", "variant": None, "SIMD": None,
                 "PE": None, "cycles": None,
                 "estimate": {k: sum(n[k] for n in report["interconnect"]) for k in ("LUT", "BRAM_18K", "DSP")},
                 "yosys": yosys(glue), "why": report.get("fifos", {}).get("method", "")})
    framing = [r for r in inst.values() if r["op_type"] == "dietsnn_accel"]
    if framing:
        rows.append({"layer": "DMA framing (dietsnn_accel)", "kind": "", "variant": None, "SIMD": None, "PE": None,
                     "cycles": None, "estimate": {}, "yosys": {k: framing[0].get(k) for k in ("LUT", "FF", "BRAM_18K",
                                                                                            "DSP")}, "why": ""})
    return rows


def bench_build(fps: float, build: Path, a, images: np.ndarray, labels: np.ndarray, metrics: dict) -> dict:
    """One build at ``fps``: compile + stitch, the RTL on ``images``, Yosys, the timing proxy, the twin."""
    report = prepare(build, fps)
    net = IntNetwork.load(build / "network.snn.npz")
    log(f"{fps:.0f} fps: golden on {len(images)} images")
    g = run_network(net, images, count_synops=True)
    rtl = run_rtl_cached(build, images, g.scores, a.chunk, a.batch, a.jobs)
    report = CompileReport.load(build).to_dict()  # with the FIFOs as sized
    clock = float(report["clock_mhz"])
    synops = rtl_synops(net, rtl["harness"], rtl["taps"])
    spikes = rtl["harness"].spike_totals(rtl["taps"])
    energy = energy_report(net, synops, len(images))
    steady = rtl["steady_cycles_per_frame"]
    result = {
        "build": str(build), "target_fps": fps, "board": report.get("board"), "part": report["part"],
        "clock_mhz": clock, "images": len(images),
        "rtl_vs_golden": {"images": len(images), "identical_scores": len(images) - rtl["mismatches"],
                          "under_gaps_and_backpressure_50_frames_identical": rtl["stalls_50_frames_equal"]},
        "accuracy": float((g.pred == labels).mean()),
        "performance": {
            "folding_bound_cycles": int(report["max_cycles"]), "steady_cycles_per_frame": steady,
            "steady_cycles_per_frame_max": rtl["steady_cycles_max"],
            "steady_over_bound": steady / report["max_cycles"], "fps_at_clock": clock * 1e6 / steady,
            "latency_cycles": rtl["latency_cycles"], "latency_us_at_clock": rtl["latency_cycles"] / clock,
            "estimated_fps": report.get("estimated_fps")},
        "spikes": {"rtl": spikes, "golden": g.spike_counts, "identical": spikes == g.spike_counts},
        "energy": {**energy, "synops_rtl": synops, "synops_golden": g.synops, "synops_identical": synops == g.synops,
                   "method": "SPEC 7: first layer MACs once (the image product is computed once per frame), "
                             "other layers one AC per input spike per fan-out, spikes counted on the RTL's "
                             "layer output streams"},
        "fifo_depths": dict(FifoDepths.load(build).depths), "fifos": report.get("fifos"),
        "estimate": {k: report["totals"][k] for k in ("LUT", "BRAM_18K", "DSP") if k in report.get("totals", {})},
        "wall_seconds": {"harness_build": rtl["harness_build_s"], "simulation": rtl["simulation_s"]},
        "simulated_cycles": rtl["simulated_cycles"], "simulation_jobs": rtl.get("jobs"),
    }
    if not a.skip_hls:
        result["hls_vs_golden"] = run_hls_cached(build, images, g.scores, a.jobs)
    syn = None
    if not a.skip_synth:
        from bench.network_synth import synthesize_design

        log(f"{fps:.0f} fps: Yosys on the whole design")
        t = time.time()
        syn = synthesize_design(build, cache_dir() / "network_synth" / build.name, whole=not a.no_whole)
        result["yosys"] = {**syn, "seconds": time.time() - t}
    if not a.skip_timing:
        from hw.proxy import proxy_warnings, run_proxy

        log(f"{fps:.0f} fps: timing proxy")
        prox = run_proxy(build, clock)
        s = prox["summary"]
        result["timing"] = {"summary": s, "warnings": proxy_warnings(prox, clock),
                            "blocks": [{k: r.get(k) for k in ("name", "op_type", "ours", "arrival_ns", "fmax_mhz",
                                                                "method", "critical_path")} for r in prox["blocks"]]}
        implied = s.get("implied_clock_mhz")
        if implied:
            result["performance"]["proxy_clock_mhz"] = implied
            result["performance"]["fps_at_proxy_clock"] = min(implied, 1e9) * 1e6 / steady
    result["layers"] = layer_table(report, syn)
    if not a.skip_finn:
        result["finn_ann"] = finn_ann(fps, clock, build / "finn_ann")
    result["table"] = comparison_table(result, metrics)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", default=str(cache_dir() / "bench"),
                    help="build folders go here (network_<fps>; default in the project cache, outside the checkout)")
    ap.add_argument("--build", help="bench this one build folder (compiled and stitched, or compiled here at the "
                                    "first --fps) instead of the --fps list")
    ap.add_argument("--fps", type=float, nargs="+", default=[100000.0, 50000.0],
                    help="targets; the first is the default build, run on --limit images, the others on --limit-other")
    ap.add_argument("--limit", type=int, help="only the first N test images (default all 10,000)")
    ap.add_argument("--limit-other", type=int, default=1000, help="test images for the builds after the first")
    ap.add_argument("--chunk", type=int, default=1000, help="images per simulator run")
    ap.add_argument("--batch", type=int, default=100, help="frames per DMA transfer (TLAST)")
    ap.add_argument("--jobs", type=int, help="simulator processes at once (default: the CPUs available)")
    ap.add_argument("--skip-hls", action="store_true", help="skip the HLS C-simulation chain (predict --level hls)")
    ap.add_argument("--skip-synth", action="store_true")
    ap.add_argument("--no-whole", action="store_true", help="Yosys per instance at once (the whole design exhausts "
                                                            "yowasp's slang stack on the fmnist design)")
    ap.add_argument("--skip-timing", action="store_true")
    ap.add_argument("--skip-finn", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "network.json"))
    a = ap.parse_args()
    t0 = time.time()
    images, labels = load_fmnist_arrays("test")
    metrics = json.loads((DEFAULT_RUN / "metrics.json").read_text())
    if a.build:
        rep = Path(a.build) / CompileReport.FILE
        targets = [(CompileReport.load(rep).target_fps if rep.is_file() else a.fps[0], Path(a.build))]
    else:
        targets = [(fps, Path(a.runs) / f"network_{int(fps)}") for fps in a.fps]
    builds = []
    for i, (fps, build) in enumerate(targets):
        n = a.limit if i == 0 else a.limit_other
        imgs, labs = (images[:n], labels[:n]) if n else (images, labels)
        builds.append(bench_build(fps, build, a, imgs, labs, metrics))
    first = builds[0]
    result = {"network": str(DEFAULT_RUN / "network.snn.npz"), "builds": builds,
              # the default build's headline, as before
              **{k: first[k] for k in ("images", "board", "part", "clock_mhz", "target_fps", "rtl_vs_golden",
                                       *(("hls_vs_golden",) if "hls_vs_golden" in first else ()), "accuracy",
                                       "performance", "spikes", "energy", "fifo_depths", "estimate")},
              "table": [row for b in builds for row in b["table"]],
              "wall_seconds": {"total": time.time() - t0}}
    atomic_write_text(Path(a.out), json.dumps(result, indent=2, default=str) + "\n")
    for b in builds:
        print(json.dumps({k: b[k] for k in ("target_fps", "rtl_vs_golden", "hls_vs_golden", "performance") if k in b},
                         indent=2))
    print("\n".join(format_table(result["table"])))
    log(f"wrote {a.out}")
    ok = all(b["rtl_vs_golden"]["identical_scores"] == b["images"]
             and b["rtl_vs_golden"]["under_gaps_and_backpressure_50_frames_identical"]
             and b.get("hls_vs_golden", {"identical_scores": b["images"]})["identical_scores"] == b["images"]
             for b in builds)
    return 0 if ok else 1


def comparison_table(r: dict, metrics: dict) -> list[dict]:
    """SNN (this toolchain) vs the ANN twin through FINN, at the same target frame rate and clock: frames/s per
    LUT with the SNN's Yosys count and fps from the RTL simulation, the twin's FINN estimates."""
    rows = []
    est = r.get("estimate", {})
    y = r.get("yosys", {}).get("totals", {})
    perf = r["performance"]
    fps = perf["fps_at_clock"]
    lut = y.get("LUT") or est.get("LUT")
    rows.append({"design": f"DIET-SNN, T=5 (this toolchain), {r['target_fps']:.0f} fps target",
                 "target_fps": r["target_fps"], "LUT_estimate": est.get("LUT"), "LUT_yosys": y.get("LUT"),
                 "FF_yosys": y.get("FF"), "BRAM_18K": y.get("BRAM_18K", est.get("BRAM_18K")),
                 "DSP": y.get("DSP", est.get("DSP")), "fps": fps, "fps_source": "RTL simulation, steady state",
                 "fps_per_kLUT": 1000 * fps / lut if lut else None,
                 "proxy_clock_mhz": perf.get("proxy_clock_mhz"), "fps_at_proxy_clock": perf.get("fps_at_proxy_clock"),
                 "accuracy": metrics["integer_accuracy"], "energy_pJ_per_image": r["energy"]["snn_energy_pJ"]})
    for label, f in r.get("finn_ann", {}).items():
        rows.append({"design": f"ANN twin, 4-bit, FINN ({label}), {r['target_fps']:.0f} fps target",
                     "target_fps": r["target_fps"], "LUT_estimate": f["LUT"], "LUT_yosys": None, "FF_yosys": None,
                     "BRAM_18K": f["BRAM_18K"], "DSP": f["DSP"], "fps": f["estimated_fps"],
                     "fps_source": "FINN estimate", "fps_per_kLUT": 1000 * f["estimated_fps"] / f["LUT"],
                     "proxy_clock_mhz": None, "fps_at_proxy_clock": None, "accuracy": metrics["ann_accuracy"],
                     "energy_pJ_per_image": r["energy"]["ann_energy_pJ"]})
    return rows


def format_table(rows: list[dict]) -> list[str]:
    def f(v, fmt="{:,.0f}"):
        return "-" if v is None else fmt.format(v)

    out = ["| design | LUT (estimate) | LUT (Yosys) | BRAM18 | DSP | frames/s | frames/s per kLUT | accuracy | "
           "energy/image (SPEC 7) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['design']} | {f(r['LUT_estimate'])} | {f(r['LUT_yosys'])} | {f(r['BRAM_18K'])} | "
                   f"{f(r['DSP'])} | {f(r['fps'])} ({r['fps_source']}) | {f(r['fps_per_kLUT'], '{:,.2f}')} | "
                   f"{r['accuracy']:.2%} | {r['energy_pJ_per_image'] / 1e6:.2f} µJ |")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
