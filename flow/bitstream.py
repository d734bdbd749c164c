"""``dietsnn bitstream``: a trained network to ``BUILD/deploy/dietsnn.{bit,hwh}``, or to a clear stop.

The steps, in order (``Step``); the first six need no vendor tool:

1. ``check``: arguments, board (FINN's Zynq table), network file;
2. ``compile``: ``hw.compile`` (reused when ``BUILD/report.json`` has the same
   options and ``BUILD/network.snn.npz`` the same network);
3. ``fit``: the estimates against the part's resources (``hw.vivado.fit``);
   with ``--impl hls``, every HLS layer's weights against what Vitis HLS can
   embed (``hw.vivado.hls_limits``);
4. ``stitch``: every layer's RTL (or, with ``--impl hls``, HLS C++ and Vitis HLS
   script) and the top, FIFOs sized by simulation (``flow.stitch``; reused
   when current). HLS blocks have no RTL before Vitis HLS runs, so their FIFO
   depths come from the same network compiled with the RTL blocks;
5. ``vivado_scripts``: the TCL and ``run_vivado.sh`` (``hw.vivado.scripts``);
6. ``deploy_package``: ``BUILD/deploy`` without the bitstream (``hw.package``);
7. ``hls_synthesis`` (``--impl hls``, needs ``vitis_hls``) and 8. ``vivado``
   (needs ``vivado``): ``BUILD/bitstream/run_vivado.sh``;
9. ``build_report``: Vivado's reports, the clock read back from the design and
   the timing gate into ``BUILD/deploy/build_report.json``, and ``BUILD/deploy``
   with the ``.bit`` and ``.hwh``.

Vivado writes no bitstream for a design that misses timing (WNS or WHS < 0)
unless ``allow_timing_violation``, nor for one whose synthesis could not read a
memory file; ``VendorToolFailed`` then quotes implement.tcl's "dietsnn error:"
line, and ``BUILD/bitstream/build_report.json`` holds the timing of the failed
build.

Without a vendor tool (or with an unsupported version) the run stops before
the step that needs it: ``VendorToolMissing`` carries the message and
``BUILD/bitstream/artifacts.json`` lists what was produced. This module may
import ``sim`` (for stitching); ``hw.vivado`` does not.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import os
import re
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path

from dietsnn.artifacts import ArtifactError, CompileReport, FifoDepths, Stitched
from dietsnn.fsutil import atomic_write_text

log = logging.getLogger(__name__)

EXIT_STOPPED = 3  #: CLI exit code when a vendor tool is missing (errors are 2)
ARTIFACTS = "artifacts.json"
DEPLOY = "deploy"  #: BUILD/deploy (hw.package.assemble_deploy)
BIT, HWH = "dietsnn.bit", "dietsnn.hwh"  #: written there by implement.tcl


def has_bitstream(build: Path) -> bool:
    return (build / DEPLOY / BIT).is_file() and (build / DEPLOY / HWH).is_file()


class Step(str, enum.Enum):
    CHECK = "check"
    COMPILE = "compile"
    FIT = "fit"
    STITCH = "stitch"
    SCRIPTS = "vivado_scripts"
    PACKAGE = "deploy_package"
    HLS = "hls_synthesis"
    VIVADO = "vivado"
    REPORT = "build_report"


#: what the vendor-tool steps do, for messages
STEP_WHAT = {Step.HLS: "Vitis HLS synthesis of the HLS layers",
             Step.VIVADO: "Vivado project, block design, synthesis, implementation, bitstream"}
TOOL_TITLE = {"vivado": "Vivado", "vitis_hls": "Vitis HLS"}


@dataclass(frozen=True)
class BitstreamOptions:
    """What ``dietsnn bitstream`` builds."""

    network: Path  #: a run folder or a .snn.npz / QONNX file
    out: Path  #: the build folder
    board: str = "zcu104"  #: a Zynq board of FINN's table
    fps: float = 100000.0  #: target frames per second
    clock_mhz: float = 200.0  #: PL clock
    impl: str = "rtl"  #: "rtl" or "hls" blocks
    size_fifos: int = 3  #: frames simulated to size the FIFOs (0 = keep the depths compile estimated)
    jobs: int | None = None  #: Vivado jobs (default: CPU count)
    any_tool_version: bool = False  #: accept Vivado / Vitis HLS versions other than the supported ones
    strategy: str = "explore"  #: implementation strategy (hw.vivado.scripts.STRATEGIES)
    allow_timing_violation: bool = False  #: write the bitstream even when WNS or WHS < 0
    timing_proxy: bool = False  #: time every block with the Yosys proxy (hw.proxy) after stitching and warn
    variants: str = "auto"  #: matrix-unit blocks (hw.compile.CompileOptions.variants)
    weights_in: str = "auto"  #: where the generic units keep their weights (hw.compile.CompileOptions.weights_in)


@dataclass
class BitstreamResult:
    build: Path  #: the build folder
    status: str  #: "complete" or "stopped"
    steps_done: list = field(default_factory=list)  #: Step values done, in order
    stopped_before: str | None = None  #: the step that could not run
    message: str = ""  #: what happened, for the user
    artifacts: dict = field(default_factory=dict)  #: category -> paths relative to the build folder
    tools: dict = field(default_factory=dict)  #: tool -> {"path", "version", "searched", "problem"}
    build_report: dict | None = None  #: deploy/build_report.json once Vivado ran


class VendorToolMissing(RuntimeError):
    """A vendor tool the next step needs is missing or not a supported version; ``result`` says what exists."""

    def __init__(self, result: BitstreamResult):
        super().__init__(result.message)
        self.result = result


class VendorToolFailed(RuntimeError):
    """Vitis HLS or Vivado ran and failed (or refused: timing, memory files); ``report`` holds what Vivado
    measured before it stopped, when it got that far."""

    def __init__(self, message: str, report: dict | None = None):
        super().__init__(message)
        self.report = report


# ------------------------------------------------------------------ helpers
def _fingerprint(net) -> str:
    """The network's one content identity (``IntNetwork.digest``, the same the driver's NETWORK_ID comes from)."""
    return net.digest()


def _network_file(path: Path) -> Path:
    return path / "network.snn.npz" if path.is_dir() else path


def _compile_current(build: Path, net, copts) -> bool:
    """Whether ``build`` was compiled from ``net`` with ``copts`` (so compiling again would change nothing)."""
    from dietsnn.netfile import IntNetwork, NetFileError
    from hw.boards import UnknownBoard, get_board

    paths = [build / n for n in ("report.json", "dataflow.onnx", "network.snn.npz")]
    if not all(p.is_file() for p in paths):
        return False
    try:
        opts = CompileReport.load(paths[0]).options
        same = (get_board(opts.get("board", "")).name == get_board(copts.board).name
                and float(opts.get("fps", -1)) == float(copts.fps)
                and float(opts.get("clock_mhz", -1)) == float(copts.clock_mhz)
                and opts.get("impl") == copts.impl and opts.get("max_simd_bits") == copts.max_simd_bits)
        return same and _fingerprint(IntNetwork.load(paths[2])) == _fingerprint(net)
    except (ValueError, UnknownBoard, NetFileError):  # ArtifactError, a corrupt report.json, is a ValueError
        return False


def _stitch_current(build: Path, frames: int) -> bool:
    """Whether ``BUILD/rtl`` and ``stitched.json`` match ``dataflow.onnx`` (and, with ``frames`` > 0, FIFOs
    sized by a simulation of at least that many frames)."""
    from qonnx.custom_op.registry import getCustomOp

    from hw.compile import load_dataflow

    stitched, dataflow = build / "stitched.json", build / "dataflow.onnx"
    if not (stitched.is_file() and dataflow.is_file() and (build / "rtl").is_dir()):
        return False
    try:
        meta = Stitched.load(stitched)
    except ArtifactError:  # an older or corrupt stitched.json: stitch again
        return False
    if stitched.stat().st_mtime < dataflow.stat().st_mtime:
        return False
    model = load_dataflow(build)
    if list(meta.nodes) != [(n.name, n.op_type) for n in model.graph.node]:
        return False
    if frames > 0:
        record_path = build / FifoDepths.FILE
        if not record_path.is_file():
            return False
        try:
            record = FifoDepths.load(record_path)
        except ArtifactError:
            return False
        if record.frames < frames:
            return False
        for node in model.graph.node:
            if node.op_type == "StreamingFIFO_rtl" and \
                    record.depths.get(node.name) != getCustomOp(node).get_nodeattr("depth"):
                return False
    return True


def _fifos_from_rtl_twin(build: Path, net_path: Path, net, copts, frames: int) -> dict:
    """FIFO depths of an HLS build from the same network compiled with the RTL blocks and simulated.

    Both builds have the same graph (the blocks' folding and streams do not
    depend on the variant), so the FIFOs match by name. The HLS blocks' own
    latencies are not simulated (that needs Vitis HLS); in a chain without
    forks, FIFO depths affect throughput only, never correctness.
    """
    from qonnx.custom_op.registry import getCustomOp

    from hw.compile import DATAFLOW, compile_network, load_dataflow
    from .stitch import stitch_build

    twin = build / "bitstream" / "rtl_twin"
    # the HLS build's blocks: generic units only, weights in block RAM
    topts = replace(copts, impl="rtl", variants="generic", weights_in="bram")
    if not _compile_current(twin, net, topts):
        compile_network(net_path, twin, topts)
    if not _stitch_current(twin, frames):
        stitch_build(twin, frames)
    record = FifoDepths.load(twin)
    model, tmodel = load_dataflow(build), load_dataflow(twin)

    def shape(m):
        return [(n.name, n.op_type.removesuffix("_hls").removesuffix("_rtl")) for n in m.graph.node]

    if shape(model) != shape(tmodel):
        raise RuntimeError(f"{twin}: the RTL twin's graph differs from {build}'s; cannot transfer FIFO depths")
    depths = {}
    for node in model.graph.node:
        if node.op_type == "StreamingFIFO_rtl" and node.name in record.depths:
            getCustomOp(node).set_nodeattr("depth", int(record.depths[node.name]))
            depths[node.name] = int(record.depths[node.name])
    model.save(str(build / DATAFLOW))
    out = FifoDepths(method=f"from the RTL twin ({twin.relative_to(build)}): " + record.method,
                     frames=record.frames, peaks=dict(record.peaks), depths=depths)
    out.save(build)
    from hw.fifos import refresh_report

    refresh_report(build, model, out.method)  # the FIFOs' estimates in report.json, for the fit check
    return out.to_dict()


def _design_hash(build: Path, scripts) -> str:
    """What the bitstream is made from: stitched design, RTL, HLS sources, generated scripts."""
    h = hashlib.sha256()
    files = [build / "stitched.json", *scripts.files()]
    files += sorted((build / "rtl").iterdir())
    for layer in scripts.hls:
        files += sorted((build / "ip" / layer.layer).glob("*.[ch]*"))
    for f in files:
        if f.is_file():
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _drop_stale_bitstream(build: Path, design_hash: str) -> None:
    from hw.vivado.reports import BUILD_REPORT

    deploy = build / DEPLOY
    report = deploy / BUILD_REPORT
    old = json.loads(report.read_text()).get("design_hash") if report.is_file() else None
    stale = [deploy / n for n in (BIT, HWH, BUILD_REPORT) if (deploy / n).is_file()]
    if stale and old != design_hash:
        log.info("removing the bitstream of an earlier design from %s", deploy)
        for p in stale:
            p.unlink()


def _artifacts(build: Path, scripts) -> dict:
    meta = Stitched.load(build)

    def rel(paths):
        return [Path(p).relative_to(build).as_posix() for p in paths if Path(p).exists()]

    hls = []
    for layer in scripts.hls:
        d = build / "ip" / layer.layer
        hls += sorted(p for p in d.iterdir() if p.is_file() and p.suffix in (".cpp", ".h", ".tcl"))
    compiled = [build / n for n in ("dataflow.onnx", "folding_config.json", "report.json", "report.txt",
                                    "network.snn.npz", "fifo_depths.json")]
    return {"compile": rel(compiled),
            "rtl": rel([build / "stitched.json"] + [build / "rtl" / s for s in meta.sources + meta.mem_files]),
            "hls": rel(hls),
            "vivado_scripts": rel(f for f in scripts.files() if f.parent == scripts.folder),
            "constraints": [],
            "deploy": rel(sorted(p for p in (build / DEPLOY).rglob("*") if p.is_file() and "__pycache__" not in p.parts))}


def _write_manifest(result: BitstreamResult, opts: BitstreamOptions, board) -> Path:
    from hw.vivado.scripts import FOLDER, RUN_SCRIPT

    path = result.build / FOLDER / ARTIFACTS
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"status": result.status, "steps_done": result.steps_done, "stopped_before": result.stopped_before,
           "message": result.message, "board": board.name, "part": board.part, "impl": opts.impl,
           "clock_mhz": opts.clock_mhz, "fps": opts.fps, "tools": result.tools,
           "next": f"bash {FOLDER}/{RUN_SCRIPT}" if result.status == "stopped" else None,
           "strategy": opts.strategy, "allow_timing_violation": opts.allow_timing_violation,
           "constraints": "none needed: the only clock is the clocking wizard's output, which its IP constrains "
                          "from the PS's reference clock, and the design has no PL pins",
           "artifacts": result.artifacts}
    atomic_write_text(path, json.dumps(doc, indent=2) + "\n")
    return path


def _tools_problems(needed: list[str], env: dict, any_version: bool) -> tuple[dict, dict]:
    from hw.vivado.tools import SUPPORTED_VERSIONS, find_tool

    tools, problems = {}, {}
    for name in needed:
        t = find_tool(name, env)
        entry = {"path": str(t.path) if t.path else None, "version": t.version, "searched": t.searched}
        if not t.found:
            problems[name] = f"{name} not found ({t.searched})"
        elif not t.supported and not any_version:
            problems[name] = (f"{name} at {t.path} is version {t.version or 'unknown'}, not a supported one "
                              "(--any-tool-version to try it anyway)")
        entry["problem"] = problems.get(name)
        tools[name] = entry
    wanted = " or ".join(SUPPORTED_VERSIONS)
    return tools, {k: f"{v}; {TOOL_TITLE[k]} {wanted} is needed" for k, v in problems.items()}


def _tool_errors(logs: Path, limit: int = 3) -> list[str]:
    """The "dietsnn error: ..." lines the generated scripts raised (logs/vivado.log, logs/vitis_hls_*.log)."""
    found: list[str] = []
    for log_file in sorted(logs.glob("*.log")):
        for line in log_file.read_text(errors="replace").splitlines():
            # the message itself, not Tcl's echo of the command that raised it ("error "dietsnn error: $what"")
            m = re.match(r"(?:ERROR:\s*)?dietsnn error: (.*)", line.strip())
            if m and m.group(1) not in found:
                found.append(m.group(1))
    return found[:limit]


def _failed_build_report(reports: Path, out: Path, **info) -> dict | None:
    """What Vivado measured before it refused (timing) into ``out``, when its reports are there."""
    from hw.vivado.reports import ReportError, write_build_report

    try:
        return write_build_report(reports, out, **info)
    except (FileNotFoundError, ReportError):
        return None


def stop_message(result: BitstreamResult, problems: dict) -> str:
    from hw.vivado.scripts import FOLDER, RUN_SCRIPT

    build = result.build
    counts = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in result.artifacts.items() if v)
    lines = [f"dietsnn bitstream: stopped before step '{result.stopped_before}' "
             f"({STEP_WHAT[Step(result.stopped_before)]}): " + "; ".join(problems.values()) + ".",
             f"Steps done: {', '.join(result.steps_done)}.",
             f"Artifacts in {build}: {counts} (listed in {build / FOLDER / ARTIFACTS}).",
             f"With the tools installed, run: bash {build / FOLDER / RUN_SCRIPT}  (or this command again)."]
    return "\n".join(lines)


# ------------------------------------------------------------------ the command
def run_bitstream(opts: BitstreamOptions, env: dict | None = None) -> BitstreamResult:
    """Run every step that can run; raise ``VendorToolMissing`` at the first one whose tool is missing."""
    from hw.boards import get_board
    from hw.compile import CompileOptions, compile_network
    from hw.qonnx_import import load_network
    from hw.vivado.fit import check_fit
    from hw.package import assemble_deploy
    from hw.vivado.reports import BUILD_REPORT, write_build_report
    from hw.compile import load_dataflow
    from hw.vivado.hls_limits import check_hls_layers
    from hw.proxy import load_proxy, proxy_warnings, run_proxy
    from hw.vivado.scripts import FOLDER, STRATEGIES, write_scripts
    from .stitch import stitch_build

    env = dict(os.environ if env is None else env)
    done: list[str] = []
    # 1. check: everything the user gave, before anything runs
    board = get_board(opts.board)
    if board.board_part is None:
        raise ValueError(f"--board {opts.board}: FINN's Zynq shell template has no board part for {board.name}, "
                         "so its processing system cannot be configured")
    if opts.size_fifos < 0:
        raise ValueError(f"--size-fifos must be >= 0, not {opts.size_fifos}")
    if opts.jobs is not None and opts.jobs < 1:
        raise ValueError(f"--jobs must be >= 1, not {opts.jobs}")
    if opts.strategy not in STRATEGIES:
        raise ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {opts.strategy!r}")
    copts = CompileOptions(board=board.name, fps=opts.fps, clock_mhz=opts.clock_mhz, impl=opts.impl,
                           variants=opts.variants, weights_in=opts.weights_in)
    net_path = _network_file(Path(opts.network))
    net = load_network(net_path)
    build = Path(opts.out)
    done.append(Step.CHECK.value)

    # 2. compile
    if _compile_current(build, net, copts):
        log.info("%s: compiled with the same options and network; not compiling again", build)
    else:
        log.info("compiling %s for %s into %s", net_path, board.name, build)
        compile_network(net_path, build, copts)
    report = CompileReport.load(build).to_dict()  # checked field by field; the fit check takes its dict
    done.append(Step.COMPILE.value)

    # 3. fit
    fit = check_fit(report, board, source=str(build / "report.json"))
    for w in fit.warnings:
        log.warning("%s", w)
    if opts.impl == "hls":
        check_hls_layers(load_dataflow(build), source=str(build / "dataflow.onnx"))
    done.append(Step.FIT.value)

    # 4. stitch
    if _stitch_current(build, opts.size_fifos):
        log.info("%s: stitched design is current; not stitching again", build)
    elif opts.impl == "hls" and opts.size_fifos > 0:
        _fifos_from_rtl_twin(build, net_path, net, copts, opts.size_fifos)
        stitch_build(build, 0)
    else:
        stitch_build(build, opts.size_fifos)
    # the fit again with the FIFOs as sized (their estimates are in report.json now, hw.fifos.refresh_report)
    fit = check_fit(CompileReport.load(build).to_dict(), board, source=str(build / "report.json"))
    for w in fit.warnings:
        log.warning("%s", w)
    # the timing proxy: the project's blocks against FINN's slowest and the clock period (BUILD/timing.json)
    proxy = run_proxy(build, opts.clock_mhz, progress=log.info) if opts.timing_proxy else load_proxy(build)
    for w in proxy_warnings(proxy, opts.clock_mhz) if proxy else []:
        log.warning("%s", w)
    done.append(Step.STITCH.value)

    # 5. scripts, 6. deploy folder without the bitstream
    scripts = write_scripts(build, board, opts.clock_mhz, opts.impl, opts.jobs, strategy=opts.strategy,
                            allow_timing_violation=opts.allow_timing_violation)
    design_hash = _design_hash(build, scripts)
    _drop_stale_bitstream(build, design_hash)
    done.append(Step.SCRIPTS.value)
    assemble_deploy(build)
    done.append(Step.PACKAGE.value)
    result = BitstreamResult(build, "stopped", done, artifacts=_artifacts(build, scripts))

    # 7./8. vendor tools
    steps = ([Step.HLS] if scripts.hls else []) + [Step.VIVADO]
    needed = (["vitis_hls"] if scripts.hls else []) + ["vivado"]
    result.tools, problems = _tools_problems(needed, env, opts.any_tool_version)
    if problems:
        first = steps[0] if "vitis_hls" in problems else Step.VIVADO
        result.stopped_before = first.value
        result.message = stop_message(result, problems)
        _write_manifest(result, opts, board)
        raise VendorToolMissing(result)
    run_env = {**env, "VIVADO": result.tools["vivado"]["path"]}
    if scripts.hls:
        run_env["VITIS_HLS"] = result.tools["vitis_hls"]["path"]
    if opts.jobs:
        run_env["DIETSNN_JOBS"] = str(opts.jobs)
    # the options this command was given, not whatever the shell had set for manual runs of run_vivado.sh
    run_env.update(DIETSNN_STRATEGY=opts.strategy, DIETSNN_ALLOW_TIMING_VIOLATION=str(int(opts.allow_timing_violation)))
    logs, reports = scripts.folder / "logs", build / FOLDER / "reports"
    for stale in (reports / n for n in ("timing_gate.txt", "clock.txt", "timing_summary.rpt", "utilization.rpt")):
        stale.unlink(missing_ok=True)
    info = dict(estimates=report["totals"], requested_mhz=opts.clock_mhz, board=board.name, part=board.part,
                impl=opts.impl, strategy=opts.strategy, allow_timing_violation=opts.allow_timing_violation,
                fps_target=opts.fps, fps_estimate=report["estimated_fps"], vivado=result.tools["vivado"]["version"],
                design_hash=design_hash)
    log.info("running %s (logs in %s)", scripts.run_script, logs)
    proc = subprocess.run(["bash", str(scripts.run_script)], env=run_env)
    if proc.returncode or not has_bitstream(build):
        errors = _tool_errors(logs)
        failed = _failed_build_report(reports, build / FOLDER / BUILD_REPORT, **info)
        why = "; ".join(errors) if errors else f"{scripts.run_script} failed (exit {proc.returncode})"
        raise VendorToolFailed(f"{why}. Logs in {logs}; the generated sources stay in {build}"
                               + (f"; Vivado's numbers in {build / FOLDER / BUILD_REPORT}" if failed else ""),
                               report=failed)
    done += [s.value for s in steps]

    # 9. Vivado's reports, the clock the design got, and the complete deploy folder
    result.build_report = write_build_report(reports, build / DEPLOY / BUILD_REPORT, **info)
    result.build_report["fps_estimate_at_clock"] = (report["estimated_fps"] * result.build_report["clock_mhz"]
                                                    / opts.clock_mhz)
    atomic_write_text(build / DEPLOY / BUILD_REPORT, json.dumps(result.build_report, indent=2) + "\n")
    assemble_deploy(build)
    done.append(Step.REPORT.value)
    result.status = "complete"
    result.artifacts = _artifacts(build, scripts)
    t, clock = result.build_report["timing"], result.build_report["clock"]
    result.message = (f"dietsnn bitstream: {build / DEPLOY}: {BIT}, {HWH} for {board.name} at "
                      f"{clock['achieved_mhz']:g} MHz (requested {opts.clock_mhz:g}; {clock['source']}); "
                      f"WNS {t['WNS_ns']} ns, WHS {t['WHS_ns']} ns, timing "
                      + ("met" if t["met"] else "NOT met (written anyway: --allow-timing-violation)"))
    _write_manifest(result, opts, board)
    return result


__all__ = ["BitstreamOptions", "BitstreamResult", "Step", "VendorToolMissing", "VendorToolFailed", "run_bitstream",
           "EXIT_STOPPED"]
