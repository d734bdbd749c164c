"""``dietsnn compile``: integer network -> QONNX -> FINN dataflow graph, specialized and folded, with a report.

Everything here runs without vendor tools: FINN's transformations are called
directly (``finn.builder.build_dataflow`` would import the Vivado simulator).
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field, replace
from numbers import Real
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from dietsnn.artifacts import CompileReport
from dietsnn.fsutil import atomic_folder, check_folder_target
from dietsnn.netfile import IntNetwork
from dietsnn.ref.widths import network_widths
from dietsnn.vocab import MAX_CLOCK_MHZ

from . import finn_ops  # noqa: F401  (registers the project's ops into FINN's domains)
from .boards import RESOURCES, get_board
from .fifos import ESTIMATE_METHOD, PlaceFIFOs, estimate_depths, fifo_totals
from .fold import VARIANT_CHOICES, FoldingError, SetSNNFolding, base_type, group_layers, name_layers, target_cycles
from .lower import lower_to_dataflow
from .qonnx_export import to_qonnx
from .weight_memory import WEIGHTS_IN, place_weights

log = logging.getLogger(__name__)

DATAFLOW = "dataflow.onnx"
FOLDING = "folding_config.json"
REPORT = "report.json"
SUMMARY = "report.txt"
FOLD_ATTRS = ["PE", "SIMD", "parallel_window", "ram_style", "depth", "impl_style", "preferred_impl_style", "variant",
              "inputFillWidth"]
#: cycles per frame of the slowest folding (every layer at SIMD = PE = 1): the floor of the resources
FLOOR_CYCLES = 2**40


def check_fps(fps, what: str = "fps") -> float:
    """``fps`` as a positive, finite number of frames per second."""
    if isinstance(fps, bool) or not isinstance(fps, Real) or not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"{what} must be a positive, finite number of frames per second, not {fps!r}")
    return float(fps)


def check_clock_mhz(mhz, what: str = "clock_mhz") -> float:
    """``mhz`` as a clock in MHz: positive, finite, at most ``MAX_CLOCK_MHZ``."""
    if isinstance(mhz, bool) or not isinstance(mhz, Real) or not math.isfinite(mhz) or mhz <= 0:
        raise ValueError(f"{what} must be a positive, finite clock frequency in MHz, not {mhz!r}")
    if mhz > MAX_CLOCK_MHZ:
        raise ValueError(f"{what} {mhz:g} MHz is implausible: expected at most {MAX_CLOCK_MHZ:g} MHz (a clock "
                         f"in MHz, e.g. 200; {mhz:g} looks like Hz: {mhz / 1e6:g} MHz)")
    return float(mhz)


@dataclass(frozen=True)
class CompileOptions:
    """What ``dietsnn compile`` builds for."""

    board: str = "ZCU104"  #: a board of FINN's Zynq table
    fps: float = 100000.0  #: target frames per second
    clock_mhz: float = 200.0  #: target clock
    impl: str = "rtl"  #: "rtl" or "hls" variant of the project's ops
    max_simd_bits: int = 1024  #: cap on SIMD x weight bits of one matrix unit
    #: block variant per matrix unit: "auto" (the folding prices the generic and the constant-weight unit and keeps
    #: the cheaper), "generic" (weights in memory everywhere), "const" (constant weights wherever they meet the
    #: target)
    variants: str = "auto"
    #: where the generic units keep their weights (``hw.weight_memory``): "auto" (URAM for the largest weight
    #: memories while block RAM is above the board's budget), "bram", "uram" (every block-RAM weight memory)
    weights_in: str = "auto"

    def __post_init__(self):
        if self.impl not in ("rtl", "hls"):
            raise ValueError(f"impl must be 'rtl' or 'hls', not {self.impl!r}")
        check_fps(self.fps)
        check_clock_mhz(self.clock_mhz)
        if isinstance(self.max_simd_bits, bool) or not isinstance(self.max_simd_bits, int) or self.max_simd_bits < 1:
            raise ValueError(f"max_simd_bits must be a positive integer, not {self.max_simd_bits!r}")
        if self.variants not in VARIANT_CHOICES:
            raise ValueError(f"variants must be one of {', '.join(VARIANT_CHOICES)}, not {self.variants!r}")
        if self.weights_in not in WEIGHTS_IN:
            raise ValueError(f"weights_in must be one of {', '.join(WEIGHTS_IN)}, not {self.weights_in!r}")
        if self.weights_in == "uram" and self.impl != "rtl":
            raise ValueError("weights_in 'uram' needs impl 'rtl': only the RTL matrix unit has the URAM weight "
                             "loader (the HLS kernels embed their weights)")


@dataclass
class CompileResult:
    model: ModelWrapper
    report: dict = field(default_factory=dict)


def _specialize(model: ModelWrapper, part: str, impl: str) -> ModelWrapper:
    from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers

    for node in model.graph.node:
        if node.op_type.startswith("Snn"):
            getCustomOp(node).set_nodeattr("preferred_impl_style", impl)
    return model.transform(SpecializeLayers(part))


def build_dataflow(net: IntNetwork, opts: CompileOptions) -> CompileResult:
    """Lower, specialize, fold and insert width converters and FIFOs; returns the model and its report."""
    from finn.transformation.fpgadataflow.insert_dwc import InsertDWC
    from finn.transformation.fpgadataflow.insert_fifo import InsertFIFO
    from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers

    from .toolenv import setup_environment

    setup_environment()
    board = get_board(opts.board)
    target = target_cycles(opts.fps, opts.clock_mhz)
    model = lower_to_dataflow(to_qonnx(net))
    layer_names = [l.name for l in net.layers]  # same order as the hardware layers
    model = _specialize(model, board.part, opts.impl)
    name_layers(model, layer_names)
    model = model.transform(SetSNNFolding(target, opts.max_simd_bits, opts.variants))
    for node in model.graph.node:
        inst = getCustomOp(node)
        if hasattr(inst, "check_folding"):
            inst.check_folding()
    model = model.transform(InsertDWC())
    model = model.transform(InsertFIFO(create_shallow_fifos=True))
    model = model.transform(SpecializeLayers(board.part))  # FIFOs and width converters; renumbers names
    model = model.transform(PlaceFIFOs())  # input buffers on the narrow side of width converters
    name_layers(model, layer_names)
    model = model.transform(InferShapes()).transform(InferDataTypes())
    estimate_depths(model)  # the fit check counts the FIFOs; `dietsnn stitch` measures them
    weights = place_weights(model, board, opts.weights_in, opts.impl)  # after the FIFOs: their BRAM counts too
    report = make_report(model, net, opts, board, target, layer_names)
    report["weight_memory"] = weights
    report["fifos"] = {"method": ESTIMATE_METHOD, **fifo_totals(report["interconnect"])}
    return CompileResult(model, report)


def _node_entry(node, part) -> dict:
    inst = getCustomOp(node)
    attrs = inst.get_nodeattr_types()
    entry = {"node": node.name, "op_type": node.op_type, "cycles": int(inst.get_exp_cycles())}
    for a in ("SIMD", "PE", "parallel_window", "depth"):
        if a in attrs:
            entry[a] = int(inst.get_nodeattr(a))
    for a, key in (("variant", "variant"), ("variantCosts", "variant_costs"),  # the matrix units' block choice
                   ("ram_style", "ram_style")):                                  # and their weight memory
        if a in attrs and "variant" in attrs and inst.get_nodeattr(a):
            entry[key] = str(inst.get_nodeattr(a))
    res = inst.node_res_estimation(part)
    entry.update({"LUT": int(res.get("LUT", 0)), "BRAM_18K": int(res.get("BRAM_18K", 0)),
                  "URAM": int(res.get("URAM", 0)), "DSP": int(res.get("DSP", 0))})
    return entry


def make_report(model, net, opts, board, target, layer_names) -> dict:
    widths = {w.name: w for w in network_widths(net)}
    layers = []
    grouped = set()
    for name, group in zip(layer_names, group_layers(model)):
        nodes = [n for n in (group.pad, group.swg, group.main) if n is not None]
        grouped.update(n.name for n in nodes)
        entries = [_node_entry(n, board.part) for n in nodes]
        main = entries[-1]
        layer = {"layer": name, "kind": base_type(group.main.op_type), "nodes": entries,
                 "SIMD": main.get("SIMD"), "PE": main.get("PE"),
                 "cycles": max(e["cycles"] for e in entries)}
        for r in ("LUT", "BRAM_18K", "URAM", "DSP"):
            layer[r] = sum(e[r] for e in entries)
        if name in widths:
            w = widths[name]
            layer.update(acc_bits=w.acc_bits, state_bits=w.state_bits, acc_bound=w.acc_bound, state_bound=w.state_bound)
        layers.append(layer)
    glue = [_node_entry(n, board.part) for n in model.graph.node if n.name not in grouped]
    totals = {r: sum(l[r] for l in layers) + sum(g[r] for g in glue) for r in ("LUT", "BRAM_18K", "URAM", "DSP")}
    max_cycles = max([l["cycles"] for l in layers] + [g["cycles"] for g in glue])
    bottleneck = max(layers, key=lambda l: l["cycles"])["layer"]
    fps = opts.clock_mhz * 1e6 / max_cycles
    report = {
        "board": board.name, "part": board.part, "clock_mhz": opts.clock_mhz, "target_fps": opts.fps,
        "target_cycles": target, "T": net.T, "impl": opts.impl,
        "max_cycles": max_cycles, "estimated_fps": fps, "meets_target": max_cycles <= target,
        "bottleneck": bottleneck, "totals": totals, "layers": layers, "interconnect": glue,
    }
    if board.capacity:
        report["capacity"] = board.capacity
        report["utilization"] = {r: totals[r] / board.capacity[r] for r in totals if board.capacity.get(r)}
    return report


def summary_text(report: dict) -> str:
    lines = [f"dietsnn compile: {report['board']} ({report['part']}) at {report['clock_mhz']:g} MHz, T={report['T']}, "
             f"{report['impl']} blocks",
             f"target {report['target_fps']:g} fps = {report['target_cycles']} cycles/frame; "
             f"estimated {report['estimated_fps']:.0f} fps ({report['max_cycles']} cycles, bottleneck {report['bottleneck']})",
             "",
             f"{'layer':<8} {'kind':<13} {'variant':<8} {'SIMD':>5} {'PE':>4} {'cycles':>8} {'acc':>4} {'state':>5} "
             f"{'LUT':>8} {'BRAM18':>7} {'URAM':>5} {'DSP':>4}"]
    for l in report["layers"]:
        variant = l["nodes"][-1].get("variant", "-") if l.get("nodes") else "-"
        lines.append(f"{l['layer']:<8} {l['kind']:<13} {variant:<8} {l['SIMD'] or '-':>5} {l['PE'] or '-':>4} "
                     f"{l['cycles']:>8} {l.get('acc_bits', '-'):>4} {l.get('state_bits', '-'):>5} {l['LUT']:>8} "
                     f"{l['BRAM_18K']:>7} {l['URAM']:>5} {l['DSP']:>4}")
    g = report["interconnect"]
    fifos = [x for x in g if x["op_type"].startswith("StreamingFIFO")]
    lines.append(f"{'FIFO/DWC':<8} {len(g):>2} nodes ({len(fifos)} FIFOs, {sum(x.get('depth', 0) for x in fifos)} words)"
                 f"{'':<{max(0, 15 - len(str(len(fifos))) - len(str(sum(x.get('depth', 0) for x in fifos))))}} "
                 f"{sum(x['LUT'] for x in g):>8} {sum(x['BRAM_18K'] for x in g):>7} {sum(x['URAM'] for x in g):>5} "
                 f"{sum(x['DSP'] for x in g):>4}")
    t = report["totals"]
    lines.append(f"{'total':<61} {t['LUT']:>8} {t['BRAM_18K']:>7} {t['URAM']:>5} {t['DSP']:>4}")
    wm = report.get("weight_memory")
    if wm and wm.get("uram_layers"):
        lines.append(f"weights in URAM: {', '.join(wm['uram_layers'])} ({wm['load_bits']} bits, loaded at run time "
                     f"by the weight loader; {wm['reason']})")
    if "utilization" in report:
        u = report["utilization"]
        lines.append("utilization of the part: " + ", ".join(f"{r} {100 * u[r]:.1f}%" for r in u))
    lines.append("(estimates from the ops' resource models; widths in bits per SPEC section 6)")
    return "\n".join(lines)


def _floor(net: IntNetwork, opts: CompileOptions) -> dict:
    """Estimates at the slowest folding (every layer at SIMD = PE = 1): what no lower ``--fps`` goes below."""
    slow = replace(opts, fps=opts.clock_mhz * 1e6 / FLOOR_CYCLES)
    rep = build_dataflow(net, slow).report
    return {"fps": slow.fps, "estimated_fps": rep["estimated_fps"], "totals": rep["totals"],
            "layers": {l["layer"]: {r: l[r] for r in RESOURCES if r in l} for l in rep["layers"]}}


def _is_build_folder(path: Path) -> bool:
    return (path / REPORT).is_file() or (path / DATAFLOW).is_file()


def compile_network(net_path: str | Path, out: str | Path, opts: CompileOptions, allow_overfit: bool = True) -> dict:
    """The ``dietsnn compile`` command: writes ``BUILD/{dataflow.onnx, folding_config.json, report.json, report.txt,
    network.snn.npz, model.qonnx.onnx}``.

    The build folder is written beside ``out`` and swapped in whole when complete:
    an interrupted compile leaves the previous build (or none), never new files
    beside old ones, and the steps of an earlier build (stitch, deploy) go with
    it. A design whose estimates exceed the part gets ``report["fit"]`` and, at the
    slowest folding, ``report["floor"]``; with ``allow_overfit=False`` it raises
    ``DesignTooLarge`` (after writing the build, for ``dietsnn estimate``).
    """
    from finn.util.config import extract_model_config_to_json

    from .qonnx_import import load_network
    from .toolenv import setup_environment
    from .vivado.fit import DesignTooLarge, assess_fit, misfit_message

    setup_environment()
    out = check_folder_target(out, "--out")
    if out.is_dir() and any(out.iterdir()) and not _is_build_folder(out):
        raise FileExistsError(f"--out {out}: exists and is not a dietsnn build folder (no {REPORT} nor {DATAFLOW}); "
                              "compile replaces its --out folder as a whole: choose a new or empty folder")
    net = load_network(net_path)
    res = build_dataflow(net, opts)
    board = get_board(opts.board)
    fit = assess_fit(res.report, board)
    report = {**res.report, "fit": {"fits": fit.fits, "over": list(fit.over), "warnings": fit.warnings}}
    if not fit.fits:
        report["floor"] = _floor(net, opts)
    with atomic_folder(out) as tmp:
        res.model.save(str(tmp / DATAFLOW))
        extract_model_config_to_json(res.model, str(tmp / FOLDING), FOLD_ATTRS)
        net.save(tmp / "network.snn.npz")
        to_qonnx(net).save(str(tmp / "model.qonnx.onnx"))
        CompileReport.from_dict({**report, "options": asdict(opts)}, REPORT).save(tmp / REPORT)
        text = summary_text(report)
        if not fit.fits:
            text += "\n" + misfit_message(fit, report, str(out / REPORT))
        (tmp / SUMMARY).write_text(text + "\n")
    if not fit.fits and not allow_overfit:
        raise DesignTooLarge(misfit_message(fit, report, str(out / REPORT)) + f"; the build is written to {out} "
                             "(`dietsnn estimate` shows it); pass --allow-overfit to accept a design larger than "
                             "the part")
    return report


def load_dataflow(build: str | Path) -> ModelWrapper:
    from .toolenv import setup_environment

    setup_environment()
    path = Path(build) / DATAFLOW if Path(build).is_dir() else Path(build)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no dataflow graph (run `dietsnn compile` first)")
    return ModelWrapper(str(path))


__all__ = ["CompileOptions", "build_dataflow", "compile_network", "load_dataflow", "summary_text", "FoldingError"]
