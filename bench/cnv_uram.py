"""``make bench-cnv-uram``: a CNV-sized CIFAR-10 network with weights in UltraRAM, on the ZCU104, bit-exact in RTL.

The network has the layers of ``quant_train/configs/cifar10_cnv.yaml`` (FINN's
CNV: conv 64-64-pool-128-128-pool-256-256, fc 512-512-10, 3x3 kernels without
padding, 1.54 M 4-bit weights) with hand-made integer weights (seeded; or
``--network`` a ``.snn.npz``). For each build (``--build NAME``, default all of
``BUILDS``) it compiles for the ZCU104, checks the fit, stitches (FIFO depths
from compile's estimate: sizing them by simulation would compile the chain a
second time), builds the Verilator harness, and runs ``--images`` random images
through the driver's ``sim`` transport, which loads the UltraRAM weights
(``weights.bin``) through the simulated AXI DMA exactly as on the board; the
scores are compared with ``dietsnn.ref``. ``bench/results/cnv_uram.json`` gets
the resources, the URAM layers, the load size and time, and the result.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from dietsnn.netfile import IntNetwork, Layer
from dietsnn.vocab import Kind

RESULTS = Path(__file__).resolve().parent / "results" / "cnv_uram.json"
#: name -> (compile options, why): "auto" lets the folding choose URAM (BRAM above 80% of the part at 8,000
#: frames/s); "uram" puts every generic unit's weights in URAM at 3,000 frames/s (seven layers on the chain)
BUILDS = {
    "auto": (dict(fps=8000.0, weights_in="auto"), "the folding moves weights to URAM because BRAM runs short"),
    "uram": (dict(fps=3000.0, weights_in="uram"), "every generic unit's weights in URAM (--weights-in uram)"),
}


def cnv_network(seed: int = 0, T: int = 5) -> IntNetwork:
    """CNV-sized network with random 4-bit weights; thresholds at about one standard deviation of a layer's
    input current, so that every layer spikes."""
    rng = np.random.default_rng(seed)
    layers, shape = [], (3, 32, 32)
    plan = [("conv1", 64), ("conv2", 64), ("pool1", None), ("conv3", 128), ("conv4", 128), ("pool2", None),
            ("conv5", 256), ("conv6", 256), ("fc1", 512), ("fc2", 512), ("fc3", 10)]
    for name, out in plan:
        if out is None:
            layer = Layer(name, Kind.SPIKE_MAXPOOL, (2, 2), (2, 2))
        else:
            fan = int(np.prod(shape)) if name.startswith("fc") else shape[0] * 9
            w = rng.integers(-7, 8, (out, fan) if name.startswith("fc") else (out, shape[0], 3, 3))
            mag = 128.0 if name == "conv1" else 0.5  # mean input: a pixel, or a spike about every other step
            sd = float(np.sqrt(fan * 20.0)) * mag
            bias = rng.integers(-int(sd) // 8, int(sd) // 8 + 1, out)
            if name == "fc3":
                layer = Layer(name, Kind.OUTPUT_ACCUMULATE, weight=w, bias=bias)
            elif name.startswith("fc"):
                layer = Layer(name, Kind.LIF_DENSE, leak_shift=0, weight=w, bias=bias,
                              theta=np.full(out, max(1, int(sd)), np.int64))
            else:
                kind = Kind.INPUT_LIF if name == "conv1" else Kind.LIF_CONV
                layer = Layer(name, kind, (3, 3), (1, 1), (0, 0, 0, 0), 0, w, bias, np.full(out, max(1, int(sd)),
                                                                                            np.int64))
        layers.append(layer)
        shape = layer.output_shape(shape)
    return IntNetwork(T=T, input_shape=(3, 32, 32), input_bits=8, layers=tuple(layers), weight_bits=4)


def run_build(name: str, net_path: Path, work: Path, images: np.ndarray, log=print) -> dict:
    from deploy.dietsnn_driver import Accelerator
    from dietsnn.ref import run_network
    from flow.cli import main
    from flow.stitch import stitch_build
    from hw.boards import get_board
    from hw.compile import CompileOptions, compile_network
    from hw.vivado.fit import check_fit

    opts, why = BUILDS[name]
    build = work / f"cnv_{name}"
    t0 = time.time()
    report = compile_network(net_path, build, CompileOptions(board="ZCU104", **opts))
    fit = check_fit(report, get_board("ZCU104"))
    t_compile = time.time() - t0
    log(f"{name}: compiled in {t_compile:.0f} s: {report['totals']} ({report['weight_memory']['uram_layers']})")
    stitch_build(build, size_frames=0)
    t_stitch = time.time() - t0 - t_compile
    assert main(["deploy", str(build)]) == 0
    t_harness = time.time() - t0 - t_compile - t_stitch
    log(f"{name}: stitched in {t_stitch:.0f} s, harness built in {t_harness:.0f} s")
    t1 = time.time()
    acc = Accelerator(build / "deploy", transport="sim", batch_size=len(images))
    t_load = time.time() - t1
    t2 = time.time()
    scores = acc.scores(images)
    t_run = time.time() - t2
    net = IntNetwork.load(net_path)
    golden = run_network(net, images)
    run = acc.transport.last_run
    st = json.loads((build / "stitched.json").read_text())
    return {
        "why": why, "options": {"board": "ZCU104", **opts}, "fits_zcu104": fit.fits, "fit_warnings": fit.warnings,
        "totals": report["totals"], "utilization": report["utilization"], "capacity": report["capacity"],
        "estimated_fps": report["estimated_fps"], "weight_memory": report["weight_memory"],
        "layers": [{k: l[k] for k in ("layer", "kind", "SIMD", "PE", "cycles", "LUT", "BRAM_18K", "URAM")}
                   | {"variant": l["nodes"][-1].get("variant"), "ram_style": l["nodes"][-1].get("ram_style")}
                   for l in report["layers"]],
        "weight_load": {k: st["weight_load"][k] for k in ("bytes", "beats", "beat_bits", "layers")},
        "images": int(len(images)), "bit_exact": bool(np.array_equal(scores, golden.scores)),
        "scores_rtl": scores.tolist(), "scores_golden": golden.scores.tolist(),
        "spikes_rtl": acc.observed_spikes(),
        "simulated_cycles": int(run.cycles) if run is not None else None,  # the frames, after the load
        "simulated_load_cycles": int(run.load_cycles) if run is not None else None,
        "seconds": {"compile": t_compile, "stitch": t_stitch, "harness": t_harness,
                    "driver_start_with_weight_load": t_load, "run": t_run},
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--network", help="a .snn.npz (default: the hand-made CNV-sized network, --seed)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--images", type=int, default=3)
    p.add_argument("--build", action="append", choices=sorted(BUILDS), help="default: every build")
    p.add_argument("--work", type=Path, default=Path("build/bench_cnv_uram"))
    p.add_argument("--out", type=Path, default=RESULTS)
    a = p.parse_args(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    net_path = Path(a.network) if a.network else a.work / "cnv.snn.npz"
    if not a.network:
        cnv_network(a.seed).save(net_path)
    images = np.random.default_rng(a.seed + 1).integers(0, 256, (a.images, 3, 32, 32)).astype(np.uint8)
    out = json.loads(a.out.read_text()) if a.out.is_file() else {}
    out.update({"network": "hand-made CNV-sized (bench.cnv_uram.cnv_network, seed %d)" % a.seed if not a.network
                else str(a.network), "weights": int(sum(l.weight.size for l in IntNetwork.load(net_path).layers
                                                        if l.weight is not None))})
    out.setdefault("builds", {})
    for name in a.build or sorted(BUILDS, key=lambda n: n != "uram"):
        out["builds"][name] = run_build(name, net_path, a.work, images)
        a.out.write_text(json.dumps(out, indent=2) + "\n")
        print(f"{name}: bit-exact {out['builds'][name]['bit_exact']} -> {a.out}")
    return 0 if all(b["bit_exact"] for b in out["builds"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
