"""``make bench-network``: the stitched fmnist accelerator (50k fps build) on all 10,000 test images in RTL.

Writes ``bench/results/network.json``:

- RTL == golden on every score of the 10,000 test images (the Verilator model of
  ``dietsnn_accel`` driven by ``sim/harness``, batches of 100 frames, TLAST checked);
  a run under random input gaps and output backpressure too;
- steady-state cycles per frame and the latency of one frame into an empty
  pipeline, against the folding's bound; frames per second at the clock;
- the compute-energy ratio of SPEC section 7 from the spikes the RTL produced
  (counted on every spiking layer's output stream), next to the golden's;
- the whole design's Yosys resources (``bench.network_synth``) against the xczu7ev;
- the ANN twin through FINN's own flow to estimates at the same frame rate
  (``bench.finn_ann``), side by side with the SNN (LUT, BRAM, DSP, FPS, accuracy).

Stages are cached in the build folder; ``--limit`` runs fewer images (a smoke run).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from dietsnn.harness import Harness
from flow.cli import DEFAULT_RUN
from dietsnn.datasets import load_fmnist_arrays
from dietsnn.artifacts import CompileReport, FifoDepths, Stitched
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


def run_rtl_cached(build: Path, images: np.ndarray, golden: np.ndarray, chunk: int, batch: int) -> dict:
    """``run_rtl``, or its saved result for the same build, images and golden (``BUILD/bench_rtl.*``)."""
    from sim.harness import build_harness

    key = f"{Stitched.load(build).network_id}-" \
          f"{len(images)}-{int(golden.sum())}-{chunk}-{batch}"
    meta_path, taps_path = build / "bench_rtl.json", build / "bench_rtl_taps.npz"
    if meta_path.is_file() and taps_path.is_file() and json.loads(meta_path.read_text()).get("key") == key:
        log(f"reusing the RTL run saved in {meta_path}")
        res = json.loads(meta_path.read_text())
        with np.load(taps_path) as z:
            res["taps"] = {k: z[k] for k in z.files}
        res["harness"] = Harness(build_harness(build))
        return res
    res = run_rtl(build, images, golden, chunk, batch)
    np.savez(taps_path, **res["taps"])
    meta_path.write_text(json.dumps({"key": key, **{k: v for k, v in res.items()
                                                     if k not in ("taps", "harness", "net")}}, indent=2))
    return res


def run_rtl(build: Path, images: np.ndarray, golden: np.ndarray, chunk: int, batch: int) -> dict:
    from sim.harness import build_harness, run_images

    log("build the Verilator harness")
    t = time.time()
    harness = Harness(build_harness(build))
    build_s = time.time() - t
    classes = golden.shape[1]
    taps: dict[str, np.ndarray] = {}
    steady, mismatches, sim_s, cycles = [], 0, 0.0, 0
    for start in range(0, len(images), chunk):
        n = min(chunk, len(images) - start)
        t = time.time()
        values, run = run_images(harness, images[start:start + n], batch=batch, taps=True)
        sim_s += time.time() - t
        cycles += run.cycles
        scores = values[:, :classes]
        bad = np.flatnonzero((scores != golden[start:start + n]).any(axis=1))
        mismatches += len(bad)
        if len(bad):
            log(f"MISMATCH images {(bad + start)[:10].tolist()}")
        for k, v in run.taps.items():
            taps[k] = taps.get(k, 0) + v
        d = np.diff(run.frame_done[n // 2:])
        steady.extend(d.tolist())
        log(f"images {start}..{start + n - 1}: {n - len(bad)}/{n} equal, {time.time() - t:.0f} s, "
            f"{run.cycles / max(time.time() - t, 1e-9):,.0f} cycles/s")
    _, one = run_images(harness, images[:1])
    stall_values, _ = run_images(harness, images[:50], batch=7, idle=0.3, backpressure=0.4, seed=3)
    stall_scores = stall_values[:, :classes]
    return {"harness": harness, "taps": taps, "mismatches": mismatches,
            "steady_cycles_per_frame": float(np.median(steady)), "steady_cycles_max": int(np.max(steady)),
            "latency_cycles": int(one.frame_done[0] - one.frame_start[0]),
            "stalls_50_frames_equal": bool(np.array_equal(stall_scores, golden[:50])),
            "harness_build_s": build_s, "simulation_s": sim_s, "simulated_cycles": cycles}


def finn_ann(fps: float, clock_mhz: float, work: Path) -> dict:
    from bench.finn_ann import ann_estimate
    from quant_train.train import load_ann

    ann = load_ann(DEFAULT_RUN)
    images, _ = load_fmnist_arrays("test")
    rows = {}
    for label, wmax in (("FINN defaults (mvau_wwidth_max 36)", 36), ("mvau_wwidth_max 64", 64)):
        log(f"FINN flow on the ANN twin: {label}")
        r = ann_estimate(ann, tuple(ann.input_shape), fps=fps, clock_mhz=clock_mhz, work_dir=work / f"w{wmax}",
                         images=images[:100], mvau_wwidth_max=wmax)
        rows[label] = {"LUT": int(r["total_resources"]["LUT"]), "BRAM_18K": int(r["total_resources"]["BRAM_18K"]),
                       "DSP": int(r["total_resources"]["DSP"]), "URAM": int(r["total_resources"].get("URAM", 0)),
                       "estimated_fps": r["estimated_fps"], "max_cycles": r["max_cycles"],
                       "bottleneck": r["max_cycles_node"], "agreement_with_pytorch": r["agreement"]}
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "bench" / "runs" / "network_build"))
    ap.add_argument("--fps", type=float, default=50000)
    ap.add_argument("--limit", type=int, help="only the first N test images")
    ap.add_argument("--chunk", type=int, default=1000, help="images per simulator run")
    ap.add_argument("--batch", type=int, default=100, help="frames per DMA transfer (TLAST)")
    ap.add_argument("--skip-synth", action="store_true")
    ap.add_argument("--synth-result", help="a `python -m bench.network_synth` JSON of an identical build (same "
                                           "accelerator parameters and FIFO depths) instead of synthesizing again")
    ap.add_argument("--skip-finn", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "network.json"))
    a = ap.parse_args()
    t0 = time.time()
    build = Path(a.build)
    report = prepare(build, a.fps)
    images, labels = load_fmnist_arrays("test")
    if a.limit:
        images, labels = images[: a.limit], labels[: a.limit]
    net = IntNetwork.load(build / "network.snn.npz")
    log(f"golden on {len(images)} images")
    g = run_network(net, images, count_synops=True)
    rtl = run_rtl_cached(build, images, g.scores, a.chunk, a.batch)
    clock = float(report["clock_mhz"])
    synops = rtl_synops(net, rtl["harness"], rtl["taps"])
    spikes = rtl["harness"].spike_totals(rtl["taps"])
    energy = energy_report(net, synops, len(images))
    result = {
        "network": str(DEFAULT_RUN / "network.snn.npz"), "images": len(images), "board": report.get("board"),
        "part": report["part"], "clock_mhz": clock, "target_fps": a.fps,
        "rtl_vs_golden": {"images": len(images), "identical_scores": len(images) - rtl["mismatches"],
                          "under_gaps_and_backpressure_50_frames_identical": rtl["stalls_50_frames_equal"]},
        "accuracy": float((g.pred == labels).mean()),
        "performance": {
            "folding_bound_cycles": int(report["max_cycles"]),
            "steady_cycles_per_frame": rtl["steady_cycles_per_frame"],
            "steady_cycles_per_frame_max": rtl["steady_cycles_max"],
            "steady_over_bound": rtl["steady_cycles_per_frame"] / report["max_cycles"],
            "fps_at_clock": clock * 1e6 / rtl["steady_cycles_per_frame"],
            "latency_cycles": rtl["latency_cycles"], "latency_us_at_clock": rtl["latency_cycles"] / clock,
            "estimated_fps": report.get("estimated_fps")},
        "spikes": {"rtl": spikes, "golden": g.spike_counts, "identical": spikes == g.spike_counts},
        "energy": {**energy, "synops_rtl": synops, "synops_golden": g.synops,
                   "synops_identical": synops == g.synops,
                   "method": "SPEC 7: first layer MACs once (the image product is computed once per frame), "
                             "other layers one AC per input spike per fan-out, spikes counted on the RTL's "
                             "layer output streams"},
        "fifo_depths": dict(FifoDepths.load(build).depths),
        "estimate": {k: report["totals"][k] for k in ("LUT", "BRAM_18K", "DSP") if k in report.get("totals", {})},
        "wall_seconds": {"harness_build": rtl["harness_build_s"], "simulation": rtl["simulation_s"]},
        "simulated_cycles": rtl["simulated_cycles"],
    }
    if a.synth_result:
        syn = json.loads(Path(a.synth_result).read_text())
        params = dict(Stitched.load(build).accel_parameters)
        fifos = {i["name"]: i["fifo"]["depth"] for i in syn["instances"] if "fifo" in i}
        if syn.get("parameters") != params or any(result["fifo_depths"].get(k) != v for k, v in fifos.items()):
            raise ValueError(f"--synth-result {a.synth_result}: synthesized from another build (accelerator "
                             f"parameters or FIFO depths differ from {build})")
        result["yosys"] = {**syn, "reused_from": a.synth_result}
    elif not a.skip_synth:
        from bench.network_synth import synthesize_design

        log("Yosys on the whole design")
        t = time.time()
        syn = synthesize_design(build, ROOT / "sim_build" / "network_synth")
        result["yosys"] = {**syn, "seconds": time.time() - t}
    if not a.skip_finn:
        result["finn_ann"] = finn_ann(a.fps, clock, build / "finn_ann")
    result["table"] = comparison_table(result, json.loads((DEFAULT_RUN / "metrics.json").read_text()))
    result["wall_seconds"]["total"] = time.time() - t0
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps({k: result[k] for k in ("rtl_vs_golden", "performance")}, indent=2))
    print("\n".join(format_table(result["table"])))
    log(f"wrote {a.out}")
    return 0 if rtl["mismatches"] == 0 and rtl["stalls_50_frames_equal"] else 1


def comparison_table(r: dict, metrics: dict) -> list[dict]:
    """SNN (this toolchain) vs the ANN twin through FINN, at the same target frame rate and clock."""
    rows = []
    est = r.get("estimate", {})
    y = r.get("yosys", {}).get("totals", {})
    rows.append({"design": "DIET-SNN, T=5 (this toolchain)", "LUT_estimate": est.get("LUT"),
                 "LUT_yosys": y.get("LUT"), "BRAM_18K": y.get("BRAM_18K", est.get("BRAM_18K")),
                 "DSP": y.get("DSP", est.get("DSP")), "fps": r["performance"]["fps_at_clock"],
                 "fps_source": "RTL simulation, steady state", "accuracy": metrics["integer_accuracy"],
                 "energy_pJ_per_image": r["energy"]["snn_energy_pJ"]})
    for label, f in r.get("finn_ann", {}).items():
        rows.append({"design": f"ANN twin, 4-bit, FINN ({label})", "LUT_estimate": f["LUT"], "LUT_yosys": None,
                     "BRAM_18K": f["BRAM_18K"], "DSP": f["DSP"], "fps": f["estimated_fps"],
                     "fps_source": "FINN estimate", "accuracy": metrics["ann_accuracy"],
                     "energy_pJ_per_image": r["energy"]["ann_energy_pJ"]})
    return rows


def format_table(rows: list[dict]) -> list[str]:
    def f(v, fmt="{:,.0f}"):
        return "-" if v is None else fmt.format(v)

    out = ["| design | LUT (estimate) | LUT (Yosys) | BRAM18 | DSP | frames/s | accuracy | energy/image (SPEC 7) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['design']} | {f(r['LUT_estimate'])} | {f(r['LUT_yosys'])} | {f(r['BRAM_18K'])} | "
                   f"{f(r['DSP'])} | {f(r['fps'])} ({r['fps_source']}) | {r['accuracy']:.2%} | "
                   f"{r['energy_pJ_per_image'] / 1e6:.2f} µJ |")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
