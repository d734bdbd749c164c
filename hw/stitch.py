"""Stitch a compiled dataflow graph into one RTL design: every layer's RTL plus a generated top module.

FINN's ``CreateStitchedIP`` needs Vivado, so the project generates the top
from ``hw/templates/rtl/dataflow_top.sv.j2`` (a plain chain of AXI-Stream
instances). Every node's HDL comes from its own ``generate_hdl`` (FINN's for
FMPadding, sliding window, FIFO and width converter; the project's for its
blocks) through FINN's ``PrepareIP``; all files are copied flat into
``BUILD/rtl/``. FINN sources that need a fix to pass Verilator or Yosys are
fixed in those copies (``_FIXES``, each with the reason).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from dietsnn.artifacts import StreamFormat, Stitched
from dietsnn.netfile import network_id

from . import finn_ops  # noqa: F401  (registers the project's ops into FINN's domains)
from .templating import render
from .weight_load import load_links, write_load_stream

TOP = "dietsnn_top"
ACCEL = "dietsnn_accel"  #: the deployable top: TOP with DMA framing (TLAST), see hw/rtl/dietsnn_accel.sv
RTL = Path(__file__).resolve().parent / "rtl"

#: (file name, old text, new text, why): fixes applied to generated copies of FINN sources
_FIXES = [
    ("fifo.sv", "typedef struct {", "typedef struct packed {",
     "Verilator rejects an unpacked struct in a packed context; packed keeps the same bits"),
]


@dataclass
class StitchedDesign:
    rtl_dir: Path  #: all sources, flat
    top: str  #: top module name
    sources: list  #: HDL files in compile order
    mem_files: list  #: $readmemh files the sources read by name
    in_width: int  #: padded input stream width
    out_width: int  #: padded output stream width
    stream: dict  #: element bits and counts per beat of the input and output streams


def _pad(w: int) -> int:
    return (w + 7) // 8 * 8


def _extra_ports(node) -> list[str]:
    if node.op_type == "FMPadding_rtl":  # its run-time configuration port stays idle
        return [".s_axilite_AWVALID(1'b0)", ".s_axilite_AWADDR('0)", ".s_axilite_WVALID(1'b0)",
                ".s_axilite_WDATA('0)", ".s_axilite_WSTRB('0)", ".s_axilite_BREADY(1'b1)",
                ".s_axilite_ARVALID(1'b0)", ".s_axilite_ARADDR('0)", ".s_axilite_RREADY(1'b1)",
                ".s_axilite_AWREADY()", ".s_axilite_WREADY()", ".s_axilite_BVALID()", ".s_axilite_BRESP()",
                ".s_axilite_ARREADY()", ".s_axilite_RVALID()", ".s_axilite_RDATA()", ".s_axilite_RRESP()"]
    if node.op_type == "StreamingFIFO_rtl":
        return [".count()", ".maxcount()"]
    return []


def axis_width(bits: int) -> int:
    """The DMA-facing stream width for a chain stream of ``bits``: a power of two >= 8 (AXI DMA's widths)."""
    w = 8
    while w < bits:
        w *= 2
    if w > 1024:
        raise ValueError(f"stream of {bits} bits is wider than AXI DMA's 1024-bit maximum")
    return w


def stitch(model: ModelWrapper, build: str | Path, part: str, clk_ns: float) -> StitchedDesign:
    """Generate every node's HDL and the top module into ``build/rtl``."""
    build = Path(build)
    rtl_dir = build / "rtl"
    ip_dir = build / "ip"
    for d in (rtl_dir, ip_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    in_width = _pad(getCustomOp(model.graph.node[0]).get_instream_width())
    for node in model.graph.node:  # units with weights in UltraRAM take them in beats of the chain's input
        inst = getCustomOp(node)
        if "loadWidth" in inst.get_nodeattr_types() and inst.get_nodeattr("ram_style") == "ultra":
            inst.set_nodeattr("loadWidth", in_width)
    for node in model.graph.node:  # PrepareIP's job, into folders of the build (it skips existing folders)
        d = ip_dir / node.name
        d.mkdir()
        inst = getCustomOp(node)
        inst.set_nodeattr("code_gen_dir_ipgen", str(d))
        inst.code_generation_ipgen(model, part, clk_ns)
    sources, mems, seen = [], [], {}
    for node in model.graph.node:
        for f in getCustomOp(node).get_rtl_file_list(abspath=True):
            f = Path(f)
            text = f.read_bytes()
            if f.name in seen:
                if seen[f.name] != text:
                    raise RuntimeError(f"two different files named {f.name} ({node.name}); cannot stitch flat")
                continue
            seen[f.name] = text
            shutil.copy2(f, rtl_dir / f.name)
            (mems if f.suffix == ".mem" else sources).append(f.name)
    for name, old, new, _why in _FIXES:
        p = rtl_dir / name
        if p.is_file() and old in p.read_text():
            p.write_text(f"// dietsnn: patched copy: {_why}\n" + p.read_text().replace(old, new))
    nodes, edges = [], []
    insts = [getCustomOp(n) for n in model.graph.node]
    links = load_links(model)
    link_of = {l.node: i for i, l in enumerate(links)}
    for i, (node, inst) in enumerate(zip(model.graph.node, insts)):
        src = ("d0" if links else "s_axis_0") if i == 0 else f"e{i - 1}"
        dst = "m_axis_0" if i == len(insts) - 1 else f"e{i}"
        if i < len(insts) - 1:
            edges.append({"name": dst, "width": _pad(inst.get_outstream_width())})
        nodes.append({"name": node.name, "op_type": node.op_type, "module": inst.get_nodeattr("gen_top_module"),
                      "src": src, "dst": dst, "extra": _extra_ports(node), "link": link_of.get(node.name)})
    out_width = _pad(insts[-1].get_outstream_width())
    beats = sum(l.beats(in_width) for l in links)
    load = {"links": links, "beats": beats, "count_bits": max(1, beats.bit_length())} if links else None
    idt, odt = insts[0].get_input_datatype(), insts[-1].get_output_datatype()
    stream = {"in_bits": idt.bitwidth(), "in_elems": insts[0].get_instream_width() // idt.bitwidth(),
              "out_bits": odt.bitwidth(), "out_elems": insts[-1].get_outstream_width() // odt.bitwidth(),
              "out_signed": bool(odt.signed()), "out_per_frame": int(insts[-1].get_number_output_values())}
    text = render("rtl/dataflow_top.sv.j2", top=TOP, nodes=nodes, edges=edges, in_width=in_width,
                  out_width=out_width, load=load)
    (rtl_dir / f"{TOP}.sv").write_text(text.rstrip("\n") + "\n")
    shutil.copy2(RTL / f"{ACCEL}.sv", rtl_dir / f"{ACCEL}.sv")
    # packages first (swg_pkg), then everything else, the tops last
    order = sorted(sources, key=lambda n: (0 if n.endswith("_pkg.sv") else 1, n)) + [f"{TOP}.sv", f"{ACCEL}.sv"]
    ours = {n for n in order if n.startswith(("snn_", TOP, ACCEL))} | {f"{n['module']}.sv" for n in nodes
                                                               if n["op_type"].startswith("Snn")}
    rules = ("SELRANGE", "WIDTHTRUNC", "WIDTHEXPAND", "WIDTHCONCAT", "LATCH", "CASEINCOMPLETE", "PROCASSINIT",
             "UNOPTFLAT", "CMPCONST", "UNSIGNED", "BLKSEQ", "INITIALDLY")  # not all are in the "lint" group
    waivers = [f'lint_off -file "*{n}"' for n in order if n not in ours]
    waivers += [f'lint_off -rule {r} -file "*{n}"' for n in order if n not in ours for r in rules]
    (rtl_dir / "finn_waivers.vlt").write_text(
        "`verilator_config\n// FINN's own RTL (not the project's) has width, latch and style lint warnings under\n"
        "// -Wall; they are waived for those files only, the project's RTL stays -Wall clean\n"
        + "\n".join(waivers) + "\n")
    design = StitchedDesign(rtl_dir, TOP, order, mems, in_width, out_width, stream)
    idt_elems = int(np.prod(model.get_tensor_shape(model.graph.input[0].name)))
    in_beats = idt_elems // stream["in_elems"]
    parameters = {"IN_WIDTH": in_width, "OUT_WIDTH": out_width, "AXIS_IN_WIDTH": axis_width(in_width),
                  "AXIS_OUT_WIDTH": axis_width(out_width), "IN_BEATS": in_beats, "OUT_BEATS": stream["out_per_frame"],
                  "BATCHES": 8, "NETWORK_ID": network_id(build / "network.snn.npz")}
    record = write_load_stream(model, links, in_width, parameters["AXIS_IN_WIDTH"], build) if links else None
    Stitched(top=TOP, accel_module=ACCEL, accel_parameters=parameters, sources=tuple(order), mem_files=tuple(mems),
             in_width=in_width, out_width=out_width, waivers="finn_waivers.vlt",
             nodes=tuple((n["name"], n["op_type"]) for n in nodes), stream=StreamFormat(**stream),
             weight_load=record).save(build)
    model.save(str(build / "dataflow_ip.onnx"))
    return design
