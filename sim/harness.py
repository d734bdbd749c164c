"""Build the stand-alone Verilator harness (``sim/harness/axis_harness.cpp``) of a stitched build.

The harness is the ``sim`` transport of the board driver and the fast path of
``make bench-network``: a compiled C++ model of ``dietsnn_accel`` that reads the
bytes a DMA engine would send and writes the bytes it would receive. Each
spiking layer's output stream is tapped (``taps.h``, generated here) so the run
also yields the spike counts the hardware produced.

The build folder (``BUILD/sim_harness`` by default) is self-contained: the
executable ``dietsnn_sim``, the ``.mem`` files it reads, and ``harness.json``
(stream formats and taps) that the driver reads; it is rebuilt only when the
sources or parameters change.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from dietsnn.artifacts import CompileReport, Stitched
from dietsnn.fsutil import atomic_write_text
from dietsnn.netfile import IntNetwork
from dietsnn.ref.network import check_images
from hw.toolenv import setup_environment, verilator_env

HARNESS_CPP = Path(__file__).resolve().parent / "harness" / "axis_harness.cpp"
EXE = "dietsnn_sim"
SPIKING = ("SnnInputMVU", "SnnLIFMVU", "SnnSpikePool")
#: the harness gives up after this many cycles without a stream beat in or out, at least ...
MIN_STALL_CYCLES = 100_000
#: ... and at least this many times the build's latency bound (every node's cycles per frame, summed)
STALL_LATENCY_FACTOR = 4


def stall_limit(report: CompileReport | dict) -> tuple[int, int]:
    """``(latency bound, no-progress limit)`` in cycles from a compile report.

    Without a beat in or out, the accelerator can be busy for at most about one
    frame's trip through every node one after the other (the sum of their
    expected cycles per frame, ``report.json``); the limit is a multiple of that,
    so a slow but correct build never trips it, while a hang is still caught.
    """
    if isinstance(report, CompileReport):
        cycles = [n.cycles for n in report.all_nodes()]
    else:  # the report's dict
        cycles = [int(e["cycles"]) for e in [e for layer in report["layers"] for e in layer["nodes"]]
                  + list(report["interconnect"])]
    latency = int(sum(cycles))
    return latency, max(MIN_STALL_CYCLES, STALL_LATENCY_FACTOR * latency)


@dataclass(frozen=True)
class HarnessBuild:
    """How ``build_harness`` compiles the Verilator model (``bench/sim_speed.py`` measures the choices).

    ``verilator``: Verilator's own options; ``opt_fast``: the C++ compiler's optimization of the model's
    per-cycle code and of the harness loop; ``opt_slow``: of the model's construction and initial blocks (run
    once; Verilator's ``OPT_SLOW``); ``output_split``: statements per generated C++ file and function (0:
    Verilator's default); ``jobs``: Verilator's and make's parallel jobs (None: the CPUs this process may use).
    """

    verilator: tuple[str, ...] = ("-O3", "--x-assign", "fast", "--x-initial", "fast")
    opt_fast: str = "-O2"
    opt_slow: str = "-O2"
    output_split: int = 0
    jobs: int | None = 1

    def command_options(self) -> list[str]:
        """The Verilator options these choices make (``-CFLAGS`` aside)."""
        from dietsnn.harness import default_jobs

        jobs = default_jobs() if self.jobs is None else self.jobs
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValueError(f"HarnessBuild.jobs must be a positive integer or None, not {self.jobs!r}")
        if isinstance(self.output_split, bool) or not isinstance(self.output_split, int) or self.output_split < 0:
            raise ValueError(f"HarnessBuild.output_split must be a non-negative integer, not {self.output_split!r}")
        for name in ("opt_fast", "opt_slow"):
            value = getattr(self, name)
            if value not in ("-O0", "-O1", "-O2", "-O3", "-Os"):
                raise ValueError(f"HarnessBuild.{name} must be one of -O0, -O1, -O2, -O3, -Os, not {value!r}")
        split = ["--output-split", str(self.output_split), "--output-split-cfuncs", str(self.output_split)] \
            if self.output_split else []
        # OPT_GLOBAL: Verilator's runtime library (verilated.cpp), -O2 as the model
        make = f"OPT_FAST={self.opt_fast} OPT_SLOW={self.opt_slow} OPT_GLOBAL=-O2"
        return ["-j", str(jobs), *self.verilator, *split, "-MAKEFLAGS", make]


#: what ``build_harness`` uses unless told otherwise (before: -CFLAGS -O2, which overrode Verilator's
#: OPT_FAST/OPT_SLOW/OPT_GLOBAL, so everything was -O2). Measured on the fmnist 50k build:
#: Verilator's statement reordering (-freorder) took most of the build, minutes of CPU on snn_mvu's unrolled adder
#: trees, and changed no instruction of the simulation (same callgrind count); the run-once constructor and initial
#: code needs no optimization; make compiles the generated files in parallel. Verilator unrolls loops of at most
#: 64 iterations (``--unroll-count``): the constant-weight unit's loop that stores its 288 input elements as
#: bit-planes stayed a loop over a 288-bit vector, every bit written with a masked update of all nine words;
#: unrolled (up to 4,096), a 16-channel slice of the fmnist conv2 unit simulates 1.95x faster (24k -> 47k
#: cycles/s; -O3 instead of -O2: no difference). On the whole 100k design this only brings the bit-plane form back
#: to the speed of the element-major form before it (40 frames: 9.0-9.4 s CPU either way).
DEFAULT_BUILD = HarnessBuild(verilator=("-O3", "-fno-reorder", "--unroll-count", "4096", "--x-assign", "fast",
                                        "--x-initial", "fast"),
                             opt_fast="-O2", opt_slow="-O0", jobs=None)


@dataclass(frozen=True)
class TapInfo:
    """One tapped stream: the output of a spiking layer, in SPEC stream format."""

    layer: str  #: node (= layer) name
    edge: str  #: wire prefix in dietsnn_top
    width: int  #: padded tdata bits
    beats: int  #: beats per frame
    per_beat: int  #: spike words per beat
    T: int  #: bits per spike word
    shape: tuple  #: NHWC (H, W, C) or (F,) of one frame


def _pad(w: int) -> int:
    return (w + 7) // 8 * 8


def tap_infos(build: Path) -> list[TapInfo]:
    """The spiking layers' output streams of a stitched build (edge ``e{i}`` leaves node ``i``)."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.custom_op.registry import getCustomOp

    import hw.finn_ops  # noqa: F401  (registers the project's ops)

    model = ModelWrapper(str(build / "dataflow_ip.onnx"))
    taps = []
    nodes = list(model.graph.node)
    for i, node in enumerate(nodes[:-1]):
        if not node.op_type.startswith(SPIKING):
            continue
        inst = getCustomOp(node)
        T = inst.get_nodeattr("T") if "T" in inst.get_nodeattr_types() else inst.get_output_datatype().bitwidth()
        width = inst.get_outstream_width()
        shape = tuple(int(s) for s in inst.get_normal_output_shape()[1:])
        taps.append(TapInfo(node.name, f"e{i}", _pad(width), int(inst.get_number_output_values()), width // T, T,
                            shape))
    return taps


def _taps_header(top: str, taps: list[TapInfo]) -> str:
    lines = ["// Generated by sim/harness.py: the tapped streams of this build.", "#pragma once",
             "static std::vector<Tap> make_taps() {", "    std::vector<Tap> t;"]
    lines += [f"    t.emplace_back({t.width}, {t.beats});  // {t.layer}" for t in taps]
    lines += ["    return t;", "}", f"static void sample_taps(V{top}___024root* r, std::vector<Tap>& t) {{"]
    for k, t in enumerate(taps):
        p = f"r->{top}__DOT__core__DOT__{t.edge}"
        lines.append(f"    if ({p}_tvalid && {p}_tready) t[{k}].add({p}_tdata);")
    if not taps:
        lines += ["    (void)r;", "    (void)t;"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def build_harness(build: str | Path, out: str | Path | None = None, taps: bool = True,
                  options: HarnessBuild | None = None) -> Path:
    """Compile the harness of stitched ``build`` into ``out`` (default ``BUILD/sim_harness``) with ``options``
    (default ``DEFAULT_BUILD``); returns ``out``."""
    options = DEFAULT_BUILD if options is None else options
    if not isinstance(options, HarnessBuild):
        raise TypeError(f"options must be a HarnessBuild, not {type(options).__name__}")
    verilator_options = options.command_options()
    build = Path(build)
    meta_path = build / "stitched.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{meta_path}: not a stitched build (run `dietsnn stitch {build}` first)")
    meta = Stitched.load(meta_path)  # names the file and field when it is corrupt
    report_path = build / "report.json"
    if not report_path.is_file():
        raise FileNotFoundError(f"{report_path}: no compile report (run `dietsnn compile` first)")
    report = CompileReport.load(report_path)
    latency, max_stall = stall_limit(report)
    if report.impl == "hls":
        raise ValueError(f"{build} was compiled with --impl hls: its layers have no RTL before Vitis HLS runs, so "
                         "there is nothing to simulate here; compile the same network with --impl rtl to simulate it")
    net = IntNetwork.load(build / "network.snn.npz")
    out = Path(out) if out else build / "sim_harness"
    top, params = meta.accel_module, meta.accel_parameters
    rtl = build / "rtl"
    tap_list = tap_infos(build) if taps else []
    header = _taps_header(top, tap_list)
    vlt = "`verilator_config\n" + "".join(
        f'public_flat_rd -module "{meta.top}" -var "{t.edge}_*"\n' for t in tap_list)
    sources = [rtl / meta.waivers] + [rtl / s for s in meta.sources]
    key = hashlib.sha256()
    for f in sources + [HARNESS_CPP]:
        key.update(f.read_bytes())
    built_as = [options.verilator, options.opt_fast, options.opt_slow, options.output_split]
    key.update((header + vlt + json.dumps(built_as) + json.dumps(params, sort_keys=True)).encode())
    key = key.hexdigest()[:16]
    info = {"key": key, "top": top, "parameters": params, "mem_files": list(meta.mem_files),
            "stream": meta.stream.to_dict(),
            "taps": [asdict(t) for t in tap_list], "exe": EXE,
            "network": {"digest": net.digest(), "T": net.T, "input_shape": list(net.input_shape),
                        "input_bits": net.input_bits, "classes": net.num_classes},
            "latency_cycles": latency, "max_stall": max_stall, "weights": meta.weight_load,
            "build_options": json.loads(json.dumps(asdict(options)))}  # as harness.json reads back
    info_path = out / "harness.json"
    if (out / EXE).is_file() and info_path.is_file():
        try:
            old = json.loads(info_path.read_text())
        except json.JSONDecodeError:
            old = {}
        if old.get("key") == key:
            _copy_weights(build, out, meta)
            if old != info:
                atomic_write_text(info_path, json.dumps(info, indent=2))
            return out
    shutil.rmtree(out, ignore_errors=True)
    gen = out / "gen"
    gen.mkdir(parents=True)
    (gen / "taps.h").write_text(header)
    (gen / "taps.vlt").write_text(vlt)
    for m in meta.mem_files:
        shutil.copy2(rtl / m, out / m)
    _copy_weights(build, out, meta)
    defines = [f"-D{k}={params[k]}" for k in ("AXIS_IN_WIDTH", "AXIS_OUT_WIDTH", "IN_BEATS", "OUT_BEATS")]
    cmd = ["verilator", "--cc", "--exe", "--build", *verilator_options, "--top-module", top,
           "--Mdir", str(out / "obj"), "-o", str((out / EXE).resolve()),
           "-Wno-fatal", "-Wno-lint", "-Wno-style",
           *[f"-G{k}=32'h{v:08x}" if k == "NETWORK_ID" else f"-G{k}={v}" for k, v in params.items()],
           "-CFLAGS", f"-I{gen.resolve()} " + " ".join(defines),
           str(gen / "taps.vlt"), *[str(s) for s in sources], str(HARNESS_CPP)]
    setup_environment()
    env = {**os.environ, **verilator_env()}
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0 or not (out / EXE).is_file():
        log = out / "build.log"
        log.write_text(res.stdout + res.stderr)
        raise RuntimeError(f"Verilator build of the harness failed (log: {log}):\n{res.stderr[-3000:]}")
    shutil.rmtree(out / "obj", ignore_errors=True)  # the executable is all that is needed
    atomic_write_text(info_path, json.dumps(info, indent=2))
    return out


def _copy_weights(build: Path, out: Path, meta: Stitched) -> None:
    """The weight-load stream (``weights.bin``) beside the harness, for runs from reset (``Harness.weights``)."""
    if meta.weight_load:
        src = build / meta.weight_load["file"]
        if not src.is_file():
            raise FileNotFoundError(f"{src}: missing; stitched.json lists it as the weight load of the UltraRAM "
                                    f"layers (run `dietsnn stitch {build}` again)")
        shutil.copy2(src, out / src.name)


def _checked(harness, images: np.ndarray):
    """``(Harness, images)``: the harness (or its folder) opened, the images checked as at every other level."""
    from dietsnn.harness import Harness

    h = harness if isinstance(harness, Harness) else Harness(harness)
    images = np.asarray(images)
    if "network" in h.info:  # the same check as every other level (shape, integer dtype, pixel range)
        n = h.info["network"]
        shape = tuple(n["input_shape"])
        check_images(SimpleNamespace(input_shape=shape, input_bits=n["input_bits"]), images)
        if len(images) == 0:
            raise ValueError(f"images: expected at least one image of shape {shape}, got {images.shape}")
    return h, images


def run_images(harness, images: np.ndarray, batch: int = 100, **options):
    """Stream uint8 images ``(N, C, H, W)`` through a built harness (a ``Harness`` or its folder).

    Returns ``(scores (N, classes) int64, HarnessRun)``: the scores the RTL produced, unpacked with the
    SPEC stream format; ``options`` go to ``Harness.run`` (idle, backpressure, seed, taps).
    """
    from dietsnn.frames import pack_images, unpack_outputs

    h, images = _checked(harness, images)
    p, s = h.info["parameters"], h.info["stream"]
    run = h.run(pack_images(images, s, p), batch=batch, preload=h.weights(), **options)
    return unpack_outputs(run.output.reshape(len(images), -1), s, p), run


def split_frames(n: int, jobs: int, chunk: int | None = None) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges of ``n`` frames for parallel runs: ``chunk`` frames each, by default ``n`` spread
    evenly over ``jobs`` runs.

    >>> split_frames(1000, 2), split_frames(5, 2), split_frames(5, 4, chunk=2)
    ([(0, 500), (500, 1000)], [(0, 3), (3, 5)], [(0, 2), (2, 4), (4, 5)])
    """
    if chunk is None:
        chunk = max(1, -(-n // max(1, jobs)))
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer of frames, not {chunk!r}")
    return [(a, min(a + int(chunk), n)) for a in range(0, n, int(chunk))]


def run_images_parallel(harness, images: np.ndarray, batch: int = 100, jobs: int | None = None,
                        chunk: int | None = None, **options):
    """``run_images`` over parts of ``images`` in parallel simulator processes (``Harness.run_parts``): ``jobs``
    at once (default: the CPUs this process may use), ``chunk`` frames each (default: the images spread evenly
    over ``jobs``). Each part is a run from reset with TLAST after every ``batch`` frames of the part (a
    ``chunk`` that is a multiple of ``batch`` frames the whole stream as one run would).

    Returns ``(scores (N, classes) int64 in image order, [(start, stop, HarnessRun) per part])``.
    """
    from dietsnn.frames import pack_images, unpack_outputs
    from dietsnn.harness import default_jobs

    h, images = _checked(harness, images)
    p, s = h.info["parameters"], h.info["stream"]
    jobs = default_jobs() if jobs is None else jobs
    ranges = split_frames(len(images), jobs, chunk)
    data = pack_images(images, s, p)
    runs = h.run_parts([data[a:b] for a, b in ranges], jobs=jobs, batch=batch, preload=h.weights(), **options)
    values = np.concatenate([r.output.reshape(b - a, -1) for (a, b), r in zip(ranges, runs)])
    return unpack_outputs(values, s, p), [(a, b, r) for (a, b), r in zip(ranges, runs)]
