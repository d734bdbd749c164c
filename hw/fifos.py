"""The FIFOs of a dataflow graph: where they sit, the rate they are sized for, their estimates in ``report.json``.

FINN's ``InsertFIFO`` puts a ``StreamingFIFO`` on every edge. ``PlaceFIFOs``
keeps, around each node that widens or narrows the stream (width converters,
a sliding window emitting whole windows), only the FIFO on the narrow side
(``wide_side``): what waits is stored at the narrow width. fmnist's examples:
the window FIFO of the constant-weight conv2 (1,440 bits a beat; 17 deep it
was 8.7k LUT and 24.5k FF in Yosys, which infers no SRL from fifo.sv) and the
input buffer of fc1. A matrix unit with several neuron folds reads each input
vector in a burst during the first fold and rereads it from its own buffer
for the others, so the FIFO in front of it holds a whole vector; on the wide
side (fc1: 14 x 1,120 bits) that is a shift register of 1,120 LUTs (FINN's
model; Yosys counts 6.7k LUT and 17.9k FF), on the narrow side the same bits
sit in LUTRAM or block RAM, at the price of the first fold reading at the
converter's rate: the folding feeds it from the narrow side
(``inputFillWidth``) only where the unit's cycle model
(``SnnMVUBase.get_exp_cycles``) still meets the target. ``compile`` gives
every FIFO the depth of
``estimate_depths`` (a model of each consumer's read pattern, so that the fit
check counts the FIFOs before any simulation), and
``dietsnn stitch`` measures them (``sim.fifo_sizing``: the stitched design
simulated with the input paced to ``pace_period``). ``refresh_report`` then
writes the FIFOs' resources (FINN's own cost model of ``fifo.sv``,
``finn.util.resource_models``) into ``BUILD/report.json``: its interconnect
entries, totals, utilization and fit are those of the FIFOs that get built.
"""

from __future__ import annotations

import math
from pathlib import Path

from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from dietsnn.artifacts import CompileReport

FIFO_OPS = ("StreamingFIFO", "StreamingFIFO_rtl")
RESOURCES = ("LUT", "BRAM_18K", "URAM", "DSP")


def pace_period(report: CompileReport) -> int:
    """Cycles per frame the FIFOs are sized for: the folding's own bound (``max_cycles``, its slowest layer), so
    that the stitched design streams at the rate ``report.json`` states (``estimated_fps``), not merely at the
    target's. Sized for the target period instead, the fmnist 50k build (bound 3,766 cycles, target 4,000)
    streamed at 3,974 cycles a frame with a source that never pauses: the stages ahead of the bottleneck could
    not run far enough ahead to hide its bursts."""
    return int(report.max_cycles)


def fifo_totals(entries: list[dict]) -> dict:
    """LUT, BRAM_18K, URAM and the bits held by the FIFO entries of a report."""
    fifos = [e for e in entries if e["op_type"] in FIFO_OPS]
    out = {r: sum(int(e.get(r, 0)) for e in fifos) for r in RESOURCES if r != "DSP"}
    out["count"] = len(fifos)
    return out


def refresh_report(build: str | Path, model, method: str) -> dict:
    """Rewrite ``BUILD/report.json``'s interconnect entries (FIFOs and width converters) from ``model`` (the
    build's dataflow graph with the depths now set), with the totals, utilization and fit that follow.
    ``method`` says how the depths were chosen (``report["fifos"]["method"]``). Returns the new report."""
    from dietsnn.fsutil import atomic_write_text

    from .boards import get_board
    from .compile import SUMMARY, _node_entry, summary_text
    from .vivado.fit import assess_fit

    build = Path(build)
    report = CompileReport.load(build / CompileReport.FILE).to_dict()
    in_layers = {n["node"] for layer in report["layers"] for n in layer["nodes"]}
    glue = [_node_entry(n, report["part"]) for n in model.graph.node if n.name not in in_layers]
    report["interconnect"] = glue
    totals = {r: sum(int(l[r]) for l in report["layers"]) + sum(int(g[r]) for g in glue) for r in RESOURCES}
    report["totals"] = totals
    if report.get("capacity"):
        report["utilization"] = {r: totals[r] / report["capacity"][r] for r in totals if report["capacity"].get(r)}
    report["fifos"] = {"method": method, **fifo_totals(glue)}
    board = get_board(report["board"])
    fit = assess_fit(report, board)
    report["fit"] = {"fits": fit.fits, "over": list(fit.over), "warnings": fit.warnings}
    CompileReport.from_dict(report, CompileReport.FILE).save(build / CompileReport.FILE)
    atomic_write_text(build / SUMMARY, summary_text(report) + f"\nFIFO depths: {method}\n")
    return report


def _is(node, *prefixes) -> bool:
    return node is not None and node.op_type.startswith(prefixes)


def fifo_cost(depth: int, width: int) -> dict:
    """FINN's cost model of one ``fifo.sv`` instance (``finn.util.resource_models``; the style fifo.sv's
    ``auto`` ladder picks): ``{"style", "LUT", "BRAM_18K", "URAM"}``."""
    from finn.util.resource_models import _fifo_cost, _resolve

    width = (width + 7) // 8 * 8  # the padded stream (AXI bytes), as StreamingFIFO estimates it
    style = _resolve(int(depth), width, "auto")
    c = _fifo_cost(int(depth), width, style)
    return {"style": style, "LUT": int(c.lut), "BRAM_18K": int(c.bram), "URAM": int(c.uram)}


def fill_ratio(in_width: int, fill_width: int) -> int:
    """Narrow beats per wide input beat of a unit fed through an upsizing width converter (1: no converter)."""
    return 1 if not fill_width or fill_width >= in_width else math.ceil(in_width / fill_width)


def _mvu_read(inst) -> tuple[int, int, list[int]] | None:
    """(SF, NF, input vectors) of one of the project's matrix units, None for any other node."""
    names = inst.get_nodeattr_types()
    if not {"MW", "MH", "SIMD", "PE", "numInputVectors"} <= set(names):
        return None
    return (inst.get_nodeattr("MW") // inst.get_nodeattr("SIMD"), inst.get_nodeattr("MH") // inst.get_nodeattr("PE"),
            [int(v) for v in inst.get_nodeattr("numInputVectors")])


def estimated_depth(model, fifo) -> int:
    """The depth ``compile`` gives a FIFO before any simulation, from its consumer's read pattern:

    - a matrix unit with several neuron folds reads each input vector (SF beats) in a burst and then computes
      on its buffer: a dense unit needs one vector (SF + 2), a convolution one output row of windows
      (OW x SF + 2: FINN's sliding window emits a row of windows as fast as it can); a convolution with one
      neuron fold also takes a row (its windows come in bursts, it reads one per vector period);
    - the FIFO before a width converter that feeds such a unit from the narrow side holds that vector in
      narrow beats (SF x ratio + 2);
    - a sliding window takes two rows of its input (W x C / SIMD beats each) + 2;
    - everything else 2.
    An estimate for the fit check; the simulation (``sim.fifo_sizing``) measures the depths at the build's rate.
    """
    cons = model.find_consumer(fifo.output[0])
    if cons is None:
        return 2
    ci = getCustomOp(cons)
    if _is(cons, "StreamingDataWidthConverter"):
        after = model.find_consumer(cons.output[0])
        if _is(after, *FIFO_OPS):
            after = model.find_consumer(after.output[0])
        if after is not None and "inputFillWidth" in getCustomOp(after).get_nodeattr_types():
            ai = getCustomOp(after)
            read = _mvu_read(ai)
            if read and ai.get_nodeattr("inputFillWidth") and read[1] > 1:
                return read[0] * fill_ratio(ai.get_instream_width(), ai.get_nodeattr("inputFillWidth")) + 2
        return 2
    read = _mvu_read(ci)
    if read is not None:
        sf, nf, vectors = read
        if len(vectors) > 1:
            return vectors[-1] * sf + 2
        return sf + 2 if nf > 1 else 2
    if _is(cons, "ConvolutionInputGenerator"):
        w = int(ci.get_nodeattr("IFMDim")[1])
        return 2 * w * int(ci.get_nodeattr("IFMChannels")) // int(ci.get_nodeattr("SIMD")) + 2
    return 2


def estimate_depths(model) -> dict[str, int]:
    """Set every FIFO's depth to ``estimated_depth``; returns them."""
    out = {}
    for node in model.graph.node:
        if node.op_type in FIFO_OPS:
            out[node.name] = estimated_depth(model, node)
            getCustomOp(node).set_nodeattr("depth", out[node.name])
    return out


ESTIMATE_METHOD = ("estimated from each consumer's read pattern (hw.fifos.estimated_depth), before simulation; "
                   "`dietsnn stitch` measures them")


def wide_side(model, fifo) -> str | None:
    """Why ``fifo`` sits on the wide side of a widening or narrowing node (and goes), else None.

    A stream widens at an upsizing width converter and at a sliding window in ``parallel_window`` mode (one
    window of K x K pixels per beat; the fmnist conv2's is 1,440 bits), and narrows at a downsizing width
    converter. ``InsertFIFO`` puts a FIFO on both sides; only the narrow one stays, so what waits is stored at
    the narrow width (the node between holds one wide word and backpressures, which the narrow FIFO absorbs).
    The exception: a matrix unit that reads each vector in a burst (several neuron folds) behind an upsizing
    converter keeps its wide FIFO unless the folding feeds it from the narrow side (``inputFillWidth``) and
    counted the slower first fold.
    """
    prod, cons = model.find_producer(fifo.input[0]), model.find_consumer(fifo.output[0])
    if prod is None or cons is None:
        return None
    if _is(prod, "StreamingDataWidthConverter"):
        pi = getCustomOp(prod)
        if pi.get_outstream_width() > pi.get_instream_width():
            ci = getCustomOp(cons)
            read = _mvu_read(ci)
            if read is None or read[1] <= 1 or ci.get_nodeattr("inputFillWidth"):
                return f"after the upsizing width converter {prod.name}"
    if _is(cons, "StreamingDataWidthConverter"):
        ci = getCustomOp(cons)
        if ci.get_outstream_width() < ci.get_instream_width():
            return f"before the downsizing width converter {cons.name}"
    if _is(prod, "ConvolutionInputGenerator"):
        pi = getCustomOp(prod)
        if "parallel_window" in pi.get_nodeattr_types() and pi.get_nodeattr("parallel_window"):
            return f"after {prod.name}, a sliding window that emits a whole window per beat"
    return None


class PlaceFIFOs(Transformation):
    """Remove every FIFO on the wide side of a widening or narrowing node (``wide_side``); the one on the narrow
    side holds what waits. Run after ``InsertFIFO`` (and its ``SpecializeLayers``)."""

    def apply(self, model):
        for node in model.graph.node:
            if node.op_type not in FIFO_OPS or wide_side(model, node) is None:
                continue
            for cons in model.find_consumers(node.output[0]) or []:
                for i, t in enumerate(cons.input):
                    if t == node.output[0]:
                        cons.input[i] = node.input[0]
            model.graph.node.remove(node)
            vi = model.get_tensor_valueinfo(node.output[0])
            if vi is not None:
                model.graph.value_info.remove(vi)
            return model, True
        return model, False


def fifo_depths(model) -> dict[str, int]:
    """Each FIFO node's depth."""
    return {n.name: int(getCustomOp(n).get_nodeattr("depth")) for n in model.graph.node if n.op_type in FIFO_OPS}


__all__ = ["pace_period", "fifo_totals", "refresh_report", "fifo_depths", "fifo_cost", "fill_ratio",
           "estimated_depth", "estimate_depths", "PlaceFIFOs", "wide_side", "ESTIMATE_METHOD", "FIFO_OPS"]
