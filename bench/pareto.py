"""``make bench-pareto``: frames/s against LUT over a sweep of foldings, the SNN and the FINN ANN twin.

For each target frame rate the shipped fmnist network is compiled (``dietsnn
compile``'s folding, variants and estimates, FIFOs at their estimated depths)
and the ANN twin goes through FINN's own flow to estimates
(``bench.finn_ann.ann_estimate``): with FINN's ``SetFolding``
(``mvau_wwidth_max`` 64), and, where that misses the target, with a folding
that reaches it (``bench.twin_folding.fold_to_target``). A target the SNN's
folding cannot reach is recorded with the error. Points measured with Yosys
(whole design) come from ``bench/results/network.json`` when it holds them
(``make bench-network``), and are marked in the picture.

Writes ``bench/results/pareto.json`` and ``bench/results/pareto.png`` (the
xczu7ev's 50% LUT line drawn).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FPS = (5000, 10000, 25000, 50000, 75000, 100000, 150000, 200000)
XCZU7EV_LUT = 230400  #: AMD DS891 (bench.network_synth.CAPACITY)
log = logging.getLogger("bench.pareto")


def snn_point(net, fps: float, clock_mhz: float) -> dict:
    from hw.compile import CompileOptions, build_dataflow
    from hw.fold import FoldingError

    try:
        rep = build_dataflow(net, CompileOptions(fps=fps, clock_mhz=clock_mhz)).report
    except FoldingError as e:
        return {"target_fps": fps, "reached": False, "error": str(e)}
    return {"target_fps": fps, "reached": bool(rep["meets_target"]), "estimated_fps": rep["estimated_fps"],
            "LUT": rep["totals"]["LUT"], "BRAM_18K": rep["totals"]["BRAM_18K"], "DSP": rep["totals"]["DSP"],
            "layers": {l["layer"]: {"variant": (l.get("nodes") or [{}])[-1].get("variant"), "SIMD": l["SIMD"],
                                    "PE": l["PE"], "LUT": l["LUT"]} for l in rep["layers"]}}


def twin_point(ann, images, fps: float, clock_mhz: float, work: Path) -> dict:
    from qonnx.core.modelwrapper import ModelWrapper

    from bench.finn_ann import ann_estimate
    from bench.twin_folding import fold_to_target

    def row(r, how):
        t = r["total_resources"]
        return {"target_fps": fps, "folding": how, "estimated_fps": r["estimated_fps"], "LUT": int(t["LUT"]),
                "BRAM_18K": int(t["BRAM_18K"]), "DSP": int(t["DSP"]), "reached": bool(r["target_met"])}

    auto = ann_estimate(ann, tuple(ann.input_shape), fps=fps, clock_mhz=clock_mhz, work_dir=work / f"auto_{int(fps)}",
                        images=images, mvau_wwidth_max=64)
    out = {"finn": row(auto, "FINN SetFolding, mvau_wwidth_max 64")}
    if not auto["target_met"]:
        cycles = int(clock_mhz * 1e6 / fps)
        try:
            cfg = fold_to_target(ModelWrapper(str(work / f"auto_{int(fps)}" / "estimated.onnx")), cycles)
            r = ann_estimate(ann, tuple(ann.input_shape), fps=fps, clock_mhz=clock_mhz,
                             work_dir=work / f"cfg_{int(fps)}", images=images, mvau_wwidth_max=64, folding_config=cfg)
            out["to_target"] = {**row(r, "bench.twin_folding.fold_to_target"), "config": cfg}
        except ValueError as e:
            out["to_target"] = {"target_fps": fps, "reached": False, "error": str(e)}
    return out


def measured_points(network_json: Path, synth_jsons: list[Path] = ()) -> list[dict]:
    """Yosys-measured builds: ``make bench-network`` (``builds[*].yosys``, fps from the RTL simulation) and
    ``bench.network_synth`` results (per-instance Yosys totals; fps from the build's folding bound,
    ``report.json``'s ``estimated_fps``, when the build folder is still there)."""
    out = []
    if network_json.is_file():
        for b in json.loads(network_json.read_text()).get("builds", []):
            y = b.get("yosys", {}).get("totals", {})
            if y.get("LUT") is not None:
                how = b["yosys"].get("method", "whole design")
                out.append({"target_fps": b["target_fps"], "fps": b["performance"]["fps_at_clock"], "LUT": y["LUT"],
                            "source": f"{network_json.name}: Yosys ({how}), fps from the RTL simulation"})
    for path in synth_jsons:
        if not path.is_file():
            continue
        d = json.loads(path.read_text())
        report = Path(d.get("build", "")) / "report.json"
        rep = json.loads(report.read_text()) if report.is_file() else d  # newer results carry the bound
        if d.get("totals", {}).get("LUT") is None or rep.get("estimated_fps") is None:
            log.warning("%s: no folding bound (its build folder %s is gone); not plotted", path, d.get("build"))
            continue
        out.append({"target_fps": rep.get("target_fps"), "fps": rep["estimated_fps"], "LUT": d["totals"]["LUT"],
                    "source": f"{path.name}: Yosys ({d.get('method', 'whole design')}), fps = folding bound"})
    return out


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5))
    snn = [p for p in result["snn"] if p.get("reached")]
    ax.plot([p["LUT"] for p in snn], [p["estimated_fps"] for p in snn], "o-", color="C0",
            label="DIET-SNN T=5 (this toolchain, estimate)")
    finn = [p["finn"] for p in result["twin"]]
    ax.plot([p["LUT"] for p in finn], [p["estimated_fps"] for p in finn], "s--", color="C1", alpha=0.6,
            label="ANN twin, FINN SetFolding (FINN estimate)")
    tt = [p.get("to_target", p["finn"]) for p in result["twin"]]
    tt = [p for p in tt if p.get("reached")]
    ax.plot([p["LUT"] for p in tt], [p["estimated_fps"] for p in tt], "s-", color="C3",
            label="ANN twin folded to the target (FINN estimate)")
    meas = result.get("measured", [])
    if meas:
        ax.plot([p["LUT"] for p in meas], [p["fps"] for p in meas], "*", color="C0", markersize=14,
                markeredgecolor="k", linestyle="none", label="DIET-SNN, Yosys-measured LUT")
    ax.axvline(XCZU7EV_LUT / 2, color="gray", linestyle=":", label="50% of the xczu7ev's LUTs")
    ax.set_xlabel("LUT")
    ax.set_ylabel(f"frames/s at {result['clock_mhz']:g} MHz")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title("fmnist: frames/s against LUT over foldings (ZCU104)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    tmp.replace(path)


def main(argv=None) -> int:
    from dietsnn.datasets import load_fmnist_arrays
    from dietsnn.fsutil import atomic_write_text
    from dietsnn.netfile import IntNetwork
    from flow.cli import DEFAULT_RUN
    from hw.toolenv import setup_environment
    from quant_train.train import load_ann

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fps", type=float, nargs="+", default=list(FPS))
    ap.add_argument("--clock-mhz", type=float, default=200.0)
    ap.add_argument("--work", default=str(ROOT / "bench" / "runs" / "pareto"))
    ap.add_argument("--network-json", default=str(RESULTS / "network.json"))
    ap.add_argument("--synth-json", nargs="*", default=[str(p) for p in sorted(RESULTS.glob("network_synth_*.json"))],
                    help="bench.network_synth results to mark as measured points")
    ap.add_argument("--skip-twin", action="store_true")
    ap.add_argument("--out", default=str(RESULTS / "pareto.json"))
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    setup_environment()
    t0 = time.time()
    net = IntNetwork.load(DEFAULT_RUN / "network.snn.npz")
    result = {"network": str(DEFAULT_RUN / "network.snn.npz"), "clock_mhz": a.clock_mhz, "part": "xczu7ev",
              "lut_capacity": XCZU7EV_LUT, "snn": [], "twin": []}
    for fps in a.fps:
        p = snn_point(net, fps, a.clock_mhz)
        log.info("SNN  %7.0f fps: %s", fps, {k: p.get(k) for k in ("estimated_fps", "LUT", "BRAM_18K", "DSP", "error")})
        result["snn"].append(p)
    if not a.skip_twin:
        ann = load_ann(DEFAULT_RUN)
        images = load_fmnist_arrays("test")[0][:10]
        for fps in a.fps:
            p = twin_point(ann, images, fps, a.clock_mhz, Path(a.work))
            log.info("twin %7.0f fps: FINN %s; to target %s", fps, {k: p["finn"][k] for k in ("estimated_fps", "LUT")},
                     {k: p.get("to_target", {}).get(k) for k in ("estimated_fps", "LUT", "error")})
            result["twin"].append(p)
    result["measured"] = measured_points(Path(a.network_json), [Path(p) for p in a.synth_json])
    result["seconds"] = round(time.time() - t0, 1)
    out = Path(a.out)
    atomic_write_text(out, json.dumps(result, indent=2, default=str) + "\n")
    if result["twin"]:
        plot(result, out.with_suffix(".png"))
    log.info("wrote %s (%.0f s)", out, time.time() - t0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
