"""``make bench-blocks``: Yosys (synth_xilinx -family xcup) resources of every project block of the fmnist build.

For the folding ``dietsnn compile --fps 50000`` picks, each layer's RTL block is
generated as in the bitstream flow and synthesized; the LUT/FF/BRAM/DSP counts
and the timing proxy's arrival (``hw.synth``) go to ``bench/results/blocks.json``
next to the compile estimator's numbers and their ratio (the estimator is
calibrated to stay within 30%). ``variants``: each matrix-vector layer's
constant-weight block (``hw.rtl_const``), generated from the same integer
weights, with its LUT per synapse lane and timestep. ``synth_block`` (one block:
whole, else one PE's slice x PE) is shared with ``bench.network_synth``. Work
folders are under ``hw.toolenv.cache_dir()``, outside the checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np
from qonnx.custom_op.registry import getCustomOp

from flow.cli import DEFAULT_RUN
from dietsnn.netfile import IntNetwork
from hw.compile import CompileOptions, build_dataflow
from hw.rtl_const import const_block
from hw.synth import WORK, SynthError, synthesize, timing
from hw.timing import slice_hdl
from hw.toolenv import cache_dir

ROOT = Path(__file__).resolve().parent.parent
PART = "xczu7ev-ffvc1156-2-e"
#: the resource counts of a block result (``CARRY``: CARRY8/CARRY4 cells, not in blocks.json)
RESOURCES = ("LUT", "LUT_logic", "LUT_mem", "FF", "BRAM_18K", "DSP", "CARRY")
#: the largest layer (MW x MH synapses) whose constant-weight variant is synthesized
CONST_MAX_LANES = 100_000


def resources(res: dict, scale: int = 1) -> dict:
    """``hw.synth.parse_stat``'s dict -> RESOURCES, each times ``scale``."""
    cells = res.get("cells", {})
    out = {k: res[k] * scale for k in RESOURCES if k in res}
    out["CARRY"] = (cells.get("CARRY8", 0) + cells.get("CARRY4", 0)) * scale
    return out


def failure(e: Exception) -> str:
    """One line for a failed synthesis: its first line plus the most telling one (a wasm trap, a Yosys ERROR)."""
    lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()] or [type(e).__name__]
    head, _, rest = lines[0].partition(": ") if lines[0].startswith("yosys failed on") else (lines[0], "", "")
    head = re.sub(r"^yosys failed on \S*/", "yosys failed on ", head)  # the work folder's name only
    body = [rest] + lines[1:] if rest else lines[1:]
    for pat in ("exhausted", "wasm trap", r"Trap\b", "unreachable", "MemoryError", "ERROR", "[Ee]rror"):
        hit = next((ln for ln in body if re.search(pat, ln)), None)
        if hit:
            return f"{head}: {hit}"[:300]
    return (f"{head}: {body[-1]}" if body else head)[:300]


def _synth(work: Path, name: str, inst, files: list[Path], timeout: int, sta: bool = False) -> dict:
    # synthesize() works in WORK / name; an absolute name (pathlib's join) puts it under ``work``
    return synthesize(str(Path(work).resolve() / name), inst.get_nodeattr("gen_top_module"),
                      [f for f in files if f.suffix in (".sv", ".v")], {},
                      [f for f in files if f.suffix == ".mem"], timeout=timeout, sta=sta)


def _slice(model, node, inst, out: Path, work: Path, timeout: int, sta: bool = False) -> dict:
    """One PE's slice (``hw.timing.slice_hdl``), synthesized and scaled by PE (its arrival with ``sta``)."""
    files = slice_hdl(model, node, out / "slice")
    res = synthesize(str(Path(work).resolve() / f"slice_{node.name}"), inst.get_nodeattr("gen_top_module"),
                     [f for f in files if f.suffix in (".sv", ".v")], {}, [f for f in files if f.suffix == ".mem"],
                     timeout=timeout, sta=sta)
    return {**resources(res, inst.get_nodeattr("PE")), **({"arrival_ns": res["arrival_ns"]} if sta else {})}


def synth_block(model, node, out: Path, work: Path = WORK, timeout: int = 900,
                files: list[Path] | None = None, sta: bool = False) -> dict:
    """Yosys resources of one project block (a ``Snn*`` node of ``model``).

    Generates the block's HDL into ``out`` (as the bitstream flow does; ``files``: the block's already
    generated sources and memory files instead, e.g. a stitched build's) and synthesizes it whole in
    ``work/block_NAME``; where that fails (yowasp's slang frontend runs out of WASM stack on the widest
    blocks) or times out, one PE's slice (same SIMD, T and widths, generated into ``out/slice``) in
    ``work/slice_NAME``, scaled by PE: the PEs are independent copies. Returns ``{"yosys": RESOURCES,
    "method": ..., "synth_seconds": ...}`` (with ``sta``, ``yosys`` also has the proxy's ``arrival_ns``); raises
    ``SynthError`` / ``subprocess.TimeoutExpired`` when
    neither works.
    """
    inst = getCustomOp(node)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    inst.set_nodeattr("code_gen_dir_ipgen", str(out))
    if files is None:
        inst.generate_hdl(model, PART, 5.0)
        files = [out / f for f in inst.get_rtl_file_list()]
    t = time.time()
    method = "whole block"
    try:
        got = _synth(work, f"block_{node.name}", inst, list(files), timeout, sta)
        res = {**resources(got), **({"arrival_ns": got["arrival_ns"]} if sta else {})}
    except (SynthError, subprocess.TimeoutExpired) as e:
        if "PE" not in inst.get_nodeattr_types() or "MH" not in inst.get_nodeattr_types():
            raise
        res = _slice(model, node, inst, out, work, timeout, sta)
        method = f"one-PE slice x {inst.get_nodeattr('PE')} (whole block failed: {failure(e)[:160]})"
    return {"yosys": res, "method": method, "synth_seconds": time.time() - t}


def _lanes(inst) -> int:
    """Synapse lane-timesteps per cycle of a generic block: SIMD x PE x T (MODE 0: the product once, SIMD x PE)."""
    n = int(inst.get_nodeattr("SIMD")) * int(inst.get_nodeattr("PE"))
    return n if inst.mode() == "input_lif" else n * int(inst.get_nodeattr("T"))


def const_variant(model, node, work: Path, timeout: int, max_lanes: int = CONST_MAX_LANES) -> dict:
    """The constant-weight variant (``hw.rtl_const``) of one ``Snn*MVU`` node: generated from the node's integer
    initializers, synthesized with the timing proxy; above ``max_lanes`` synapses only the plan's counts."""
    inst = getCustomOp(node)

    def init(i):
        return model.get_initializer(node.input[i]) if i < len(node.input) else None

    mode = inst.mode()
    w = np.rint(init(1)).astype(np.int64)
    mw, mh = w.shape
    T = int(inst.get_nodeattr("T"))
    row = {"layer": node.name, "op_type": node.op_type, "variant": "const", "MW": mw, "MH": mh,
           "cycles_per_vector": 1 if mode == "input_lif" else T}
    if mw * mh > max_lanes:
        row.update(method=f"not synthesized: {mw * mh} synapses > {max_lanes} (weights in logic do not fit)",
                   nonzero_weight_bits=int(sum(bin(abs(int(v))).count("1") for v in w.ravel())))
        return row
    t = time.time()
    blk = const_block(node.name, mode, w, np.rint(init(2)).astype(np.int64),
                      np.rint(init(3)).astype(np.int64) if inst.mode() in ("lif", "input_lif") else None, T=T,
                      leak_shift=int(inst.get_nodeattr("leak_shift")), in_bits=inst.get_input_datatype(0).bitwidth(),
                      wbits=inst.get_input_datatype(1).bitwidth(), state_bits=int(inst.get_nodeattr("stateBits")),
                      out_dir=work / "const_hdl" / node.name)
    res = timing(str(work / f"const_{node.name}"), blk.module, list(blk.sources), {}, timeout=timeout)
    lanes = mw * mh  # every synapse once per cycle (one timestep per cycle, or the product once per vector)
    row.update(method="whole block", yosys={k: res[k] for k in ("LUT", "LUT_logic", "LUT_mem", "FF", "BRAM_18K",
                                                                    "DSP")},
               arrival_ns=res["arrival_ns"], lut_per_lane=round(res["LUT"] / lanes, 3), tree_inputs=blk.tree_inputs,
               counters=blk.counters, acc_bits=blk.acc_bits, state_bits=blk.state_bits,
               synth_seconds=round(time.time() - t, 1), cached=res["cached"])
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", default=str(DEFAULT_RUN / "network.snn.npz"))
    ap.add_argument("--fps", type=float, default=50000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "blocks.json"))
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per synthesis")
    a = ap.parse_args()
    net = IntNetwork.load(a.network)
    model = build_dataflow(net, CompileOptions(fps=a.fps)).model
    work = cache_dir() / "bench" / "blocks"
    rows, variants = [], []
    for node in model.graph.node:
        if not node.op_type.startswith("Snn"):
            continue
        inst = getCustomOp(node)
        try:
            got = synth_block(model, node, work / "hdl" / node.name, work, a.timeout, sta=True)
        except (SynthError, subprocess.TimeoutExpired) as e:
            rows.append({"layer": node.name, "op_type": node.op_type, "method": "not synthesized",
                         "error": failure(e)})
            print(f"{node.name:<6} {node.op_type:<16} not synthesized: {failure(e)[:120]}", flush=True)
            continue
        res = got["yosys"]
        est = {"LUT": int(inst.lut_estimation(PART)), "BRAM_18K": int(inst.bram_estimation(PART)),
               "DSP": int(inst.dsp_estimation(PART))}
        row = {"layer": node.name, "op_type": node.op_type, "method": got["method"],
               "folding": {k: int(inst.get_nodeattr(k)) for k in ("SIMD", "PE") if k in inst.get_nodeattr_types()},
               "yosys": {k: res[k] for k in ("LUT", "LUT_logic", "LUT_mem", "FF", "BRAM_18K", "DSP")},
               "arrival_ns": res.get("arrival_ns"),
               "estimate": est, "lut_estimate_over_yosys": est["LUT"] / max(1, res["LUT"]),
               "synth_seconds": got["synth_seconds"]}
        if "SIMD" in row["folding"]:
            row["lut_per_lane"] = round(res["LUT"] / _lanes(inst), 3)
        rows.append(row)
        print(f"{node.name:<6} {node.op_type:<16} yosys LUT {res['LUT']:>7} FF {res['FF']:>7} BRAM18 {res['BRAM_18K']:>4} "
              f"DSP {res['DSP']:>3} {res.get('arrival_ns', 0):5.2f} ns | estimate LUT {est['LUT']:>7} "
              f"({row['lut_estimate_over_yosys']:.2f}x)", flush=True)
        if node.op_type.startswith("SnnSpikePool"):
            continue
        try:
            v = const_variant(model, node, work, a.timeout)
        except (SynthError, subprocess.TimeoutExpired) as e:
            v = {"layer": node.name, "op_type": node.op_type, "variant": "const", "method": "not synthesized",
                 "error": failure(e)}
        variants.append(v)
        print(f"{node.name:<6} const variant: " + (f"LUT {v['yosys']['LUT']:>7} FF {v['yosys']['FF']:>7} "
                                                    f"{v['arrival_ns']:5.2f} ns, {v['lut_per_lane']} LUT per synapse lane"
                                                    if "yosys" in v else v["method"]), flush=True)
    total = {k: sum(r["yosys"][k] for r in rows if "yosys" in r) for k in ("LUT", "FF", "BRAM_18K", "DSP")}
    result = {"network": a.network, "fps": a.fps, "part": PART, "blocks": rows, "total_yosys": total,
              "variants": variants,
              "lane_note": "lut_per_lane: LUT per synapse lane and timestep; generic snn_mvu: SIMD x PE x T lanes "
                           "(input_lif: SIMD x PE, the product once), constant-weight: MW x MH lanes (one timestep "
                           "per cycle, or the product once per vector)"}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
