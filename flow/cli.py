"""``dietsnn`` command line: one command per step of the flow.

Heavy packages (torch, Brevitas, FINN) are imported inside the commands that
need them, so ``dietsnn predict --level golden`` stays numpy-only.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dietsnn.netfile import NetFileError

from . import DEFAULT_RUN, NETWORK_FILE, ROOT  # noqa: F401  (ROOT, DEFAULT_RUN: re-exported for scripts)
from .predict import LEVELS, predict_scores

log = logging.getLogger("dietsnn")


def _network_path(path: str | Path) -> Path:
    p = Path(path)
    return p / NETWORK_FILE if p.is_dir() else p


def cmd_train(a) -> int:
    from quant_train.config import load_config
    from quant_train.report import write_metrics
    from quant_train.train import init_distributed, train

    cfg = load_config(a.config)
    st = train(cfg, a.out, epochs=a.epochs, limit_train=a.limit_train, limit_test=a.limit_test,
               resume=a.resume, data_dir=a.data_dir)
    if init_distributed().main and not a.no_report:
        m = write_metrics(a.out, limit=a.limit_test, data_dir=a.data_dir)
        print(f"{a.out}: ANN twin {st.ann_accuracy:.4f}, SNN (PyTorch) {m['snn_accuracy']:.4f}, "
              f"integer {m['integer_accuracy']:.4f} on {m['images']} test images; "
              f"PyTorch == golden on {m['golden_agreement']['identical_scores']}/{m['images']}")
    return 0


QONNX_FILE = "model.qonnx.onnx"


def cmd_export(a) -> int:
    from hw.qonnx_export import save_qonnx
    from quant_train.report import export_run

    from dietsnn.netfile import IntNetwork

    path = export_run(a.run)
    qpath = save_qonnx(IntNetwork.load(path), Path(a.run) / QONNX_FILE)
    print(path)
    print(qpath)
    return 0




def cmd_predict(a) -> int:
    import numpy as np

    from dietsnn.netfile import IntNetwork

    net_path = _network_path(a.network)
    net = IntNetwork.load(net_path)
    if a.T is not None:
        net = net.replace_T(a.T)
    images_path = Path(a.images)
    if not images_path.is_file():
        raise FileNotFoundError(f"--images {images_path}: no such file (expected a uint8 .npy of shape (N, C, H, W))")
    images = np.load(images_path, allow_pickle=False)
    if images.dtype != np.uint8 and net.input_bits == 8:
        raise TypeError(f"--images {images_path}: expected dtype uint8, got {images.dtype}")
    if a.level == "dataflow" and a.T is not None:
        raise ValueError("--T cannot be combined with --level dataflow (the compiled graph fixes T)")
    scores, pred = predict_scores(net, images, a.level, a.build)
    np.savez(a.out, scores=scores.astype(np.int64), pred=pred.astype(np.int64))
    print(f"{a.out}: {len(pred)} predictions at level {a.level}")
    return 0


def cmd_evaluate(a) -> int:
    import numpy as np

    from quant_train.config import load_config
    from quant_train.data import load_split
    from quant_train.train import load_checkpoint

    from dietsnn.netfile import IntNetwork
    from dietsnn.ref import run_network

    run = Path(a.run)
    net = IntNetwork.load(_network_path(run))
    cfg = load_checkpoint(run)[0] if (run / "checkpoint.pt").is_file() else load_config(a.config)
    data = load_split(cfg, a.split, a.data_dir).limit(a.limit)
    res = run_network(net, data.images.numpy())
    acc = float((res.pred == data.labels.numpy()).mean())
    print(f"{run}: integer network accuracy {acc:.4f} on {len(data)} {a.split} images (T={net.T})")
    return 0


def cmd_compile(a) -> int:
    from hw.compile import CompileOptions, compile_network, summary_text

    report = compile_network(_network_path(a.run), a.out,
                             CompileOptions(board=a.board, fps=a.fps, clock_mhz=a.clock_mhz, impl=a.impl))
    print(summary_text(report))
    print(f"\nwrote {a.out}/dataflow.onnx, folding_config.json, report.json, report.txt")
    return 0


def cmd_stitch(a) -> int:
    from .stitch import stitch_build

    design, fifos = stitch_build(a.build, a.size_fifos)
    if fifos:
        print(f"FIFO depths from simulation ({fifos['frames']} frames): {fifos['depths']}")
    print(f"{design.rtl_dir}: {len(design.sources)} sources, deployable top dietsnn_accel around the chain "
          f"{design.top} (in {design.in_width} bits, out {design.out_width} bits)")
    return 0


def cmd_deploy(a) -> int:
    from hw.package import assemble_deploy

    out = Path(a.out) if a.out else Path(a.build) / "deploy"
    entries = assemble_deploy(a.build, out)
    if not a.no_sim:
        import shutil

        from sim.harness import build_harness

        harness = build_harness(a.build)  # cached in BUILD/sim_harness
        shutil.rmtree(out / "sim_harness", ignore_errors=True)
        shutil.copytree(harness, out / "sim_harness")
        entries = sorted(out.iterdir())
    print(f"{out}: " + ", ".join(e.name for e in entries))
    print(f"run it: cd {out}/notebooks && jupyter notebook dietsnn_inference.ipynb (on a board: copy {out} there "
          "first, see its README.md)")
    return 0


def cmd_bitstream(a) -> int:
    from .bitstream import EXIT_STOPPED, BitstreamOptions, VendorToolFailed, VendorToolMissing, run_bitstream

    opts = BitstreamOptions(network=Path(a.run), out=Path(a.out), board=a.board, fps=a.fps, clock_mhz=a.clock_mhz,
                            impl=a.impl, size_fifos=a.size_fifos, jobs=a.jobs, any_tool_version=a.any_tool_version)
    try:
        result = run_bitstream(opts)
    except VendorToolMissing as e:
        print(e.result.message, file=sys.stderr)
        return EXIT_STOPPED
    except VendorToolFailed as e:
        print(f"dietsnn bitstream: error: {e}", file=sys.stderr)
        return 1
    print(result.message)
    if not result.build_report["timing_met"]:
        print(f"dietsnn bitstream: timing is not met at {a.clock_mhz:g} MHz; the bitstream may not work "
              "(lower --clock-mhz)", file=sys.stderr)
        return 1
    return 0


def cmd_estimate(a) -> int:
    path = Path(a.build) / "report.txt"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no report (run `dietsnn compile RUN --out {a.build}` first)")
    print(path.read_text(), end="")
    return 0


def _add_build_target(p: argparse.ArgumentParser) -> None:
    """The network and hardware target of a build (`compile` and `bitstream`)."""
    p.add_argument("run", nargs="?", default=str(DEFAULT_RUN), help="run folder or .snn.npz (default: shipped fmnist)")
    p.add_argument("--board", default="zcu104", help="a Zynq board of FINN's table (default zcu104)")
    p.add_argument("--fps", type=float, default=50000.0, help="target frames per second (default 50000)")
    p.add_argument("--clock-mhz", type=float, default=200.0, help="PL clock in MHz (default 200)")
    p.add_argument("--impl", default="rtl", choices=["rtl", "hls"],
                   help="the project's blocks as RTL, or as HLS C++ for Vitis HLS (default rtl)")
    p.add_argument("--out", default="build/fmnist", help="build folder (default build/fmnist)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dietsnn", description=__doc__.splitlines()[0])
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="ANN twin -> conversion -> DIET-SNN fine-tuning, then reports")
    t.add_argument("--config", default="fmnist", help="config name or YAML path (default fmnist)")
    t.add_argument("--out", required=True, help="run folder (checkpoint, network.snn.npz, metrics.json)")
    t.add_argument("--epochs", type=int, help="override the epochs of both phases")
    t.add_argument("--limit-train", type=int, help="use only the first N training images")
    t.add_argument("--limit-test", type=int, help="use only the first N test images")
    t.add_argument("--data-dir", help="dataset folder (default: the dataset's standard location)")
    t.add_argument("--resume", action="store_true", help="continue from RUN/checkpoint.pt")
    t.add_argument("--no-report", action="store_true", help="skip export and metrics.json")
    t.set_defaults(fn=cmd_train)

    e = sub.add_parser("export", help="write RUN/network.snn.npz and RUN/model.qonnx.onnx")
    e.add_argument("run", nargs="?", default=str(DEFAULT_RUN))
    e.set_defaults(fn=cmd_export)

    pr = sub.add_parser("predict", help="scores and labels of a network on images")
    pr.add_argument("network", nargs="?", default=str(DEFAULT_RUN / NETWORK_FILE),
                    help="a .snn.npz file or a run folder (default: the shipped fmnist model)")
    pr.add_argument("--images", required=True, help="uint8 .npy of shape (N, C, H, W)")
    pr.add_argument("--out", required=True, help="output .npz with scores (N, classes) and pred (N,)")
    pr.add_argument("--level", default="golden", choices=LEVELS,
                    help="golden: numpy reference; qonnx: execute_onnx on the QONNX model; "
                         "dataflow: Python execution of the lowered FINN graph; rtl: Verilator simulation of "
                         "the stitched design (--build)")
    pr.add_argument("--build", help="--level dataflow: a `dietsnn compile` folder (default: compile now); "
                                    "--level rtl: a compiled and stitched folder")
    pr.add_argument("--T", type=int, help="override the network's timesteps")
    pr.set_defaults(fn=cmd_predict)

    ev = sub.add_parser("evaluate", help="accuracy of the integer network")
    ev.add_argument("run", nargs="?", default=str(DEFAULT_RUN))
    ev.add_argument("--split", default="test", choices=["train", "test"])
    ev.add_argument("--config", default="fmnist", help="config when the run has no checkpoint")
    ev.add_argument("--data-dir")
    ev.add_argument("--limit", type=int)
    ev.set_defaults(fn=cmd_evaluate)
    c = sub.add_parser("compile", help="QONNX -> FINN dataflow layers, folding for a frame rate, estimates")
    _add_build_target(c)
    c.set_defaults(fn=cmd_compile)

    st = sub.add_parser("stitch", help="generate every layer's RTL and the top module into BUILD/rtl")
    st.add_argument("build", nargs="?", default="build/fmnist")
    st.add_argument("--size-fifos", type=int, default=3, metavar="FRAMES",
                    help="size FIFOs by simulating FRAMES frames with FINN's fifo_gauge (0 = keep depth 2)")
    st.set_defaults(fn=cmd_stitch)

    dp = sub.add_parser("deploy", help="assemble BUILD/deploy: driver, notebook, network, and the Verilator "
                                       "model for the sim transport")
    dp.add_argument("build", nargs="?", default="build/fmnist", help="a compiled and stitched build")
    dp.add_argument("--out", help="deploy folder (default BUILD/deploy)")
    dp.add_argument("--no-sim", action="store_true", help="skip building the simulation model (board-only package)")
    dp.set_defaults(fn=cmd_deploy)

    b = sub.add_parser("bitstream", help="compile, stitch, generate the Vivado / Vitis HLS project and, with the "
                                         "tools installed, build BUILD/deploy/dietsnn.{bit,hwh}")
    _add_build_target(b)
    b.add_argument("--size-fifos", type=int, default=3, metavar="FRAMES",
                   help="size FIFOs by simulating FRAMES frames (0 = keep depth 2)")
    b.add_argument("--jobs", type=int, help="parallel Vivado jobs (default: the CPU count)")
    b.add_argument("--any-tool-version", action="store_true",
                   help="run Vivado / Vitis HLS even when the version is not 2022.2 or 2024.2")
    b.set_defaults(fn=cmd_bitstream)

    es = sub.add_parser("estimate", help="print the summary of a compiled build")
    es.add_argument("build", nargs="?", default="build/fmnist")
    es.set_defaults(fn=cmd_estimate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    try:
        return args.fn(args)
    except (NetFileError, ValueError, TypeError, FileNotFoundError, KeyError) as e:
        print(f"dietsnn {args.cmd}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
