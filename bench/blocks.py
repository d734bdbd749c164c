"""``make bench-blocks``: Yosys (synth_xilinx -family xcup) resources of every project block of the fmnist build.

For the folding ``dietsnn compile --fps 50000`` picks, each layer's RTL block is
generated as in the bitstream flow and synthesized; the LUT/FF/BRAM/DSP counts
go to ``bench/results/blocks.json`` next to the compile estimator's numbers and
their ratio (the estimator is calibrated to stay within 30%). ``synth_block``
(one block: whole, else one PE's slice x PE) is shared with ``bench.network_synth``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import time
from pathlib import Path

from qonnx.custom_op.registry import getCustomOp

from flow.cli import DEFAULT_RUN
from dietsnn.netfile import IntNetwork
from hw.compile import CompileOptions, build_dataflow
from hw.synth import WORK, SynthError, synthesize

ROOT = Path(__file__).resolve().parent.parent
PART = "xczu7ev-ffvc1156-2-e"
#: the resource counts of a block result (``CARRY``: CARRY8/CARRY4 cells, not in blocks.json)
RESOURCES = ("LUT", "LUT_logic", "LUT_mem", "FF", "BRAM_18K", "DSP", "CARRY")


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


def _synth(work: Path, name: str, inst, files: list[Path], timeout: int) -> dict:
    # synthesize() works in WORK / name; an absolute name (pathlib's join) puts it under ``work``
    return synthesize(str(Path(work).resolve() / name), inst.get_nodeattr("gen_top_module"),
                      [f for f in files if f.suffix in (".sv", ".v")], {},
                      [f for f in files if f.suffix == ".mem"], timeout=timeout)


def _slice(model, node, inst, out: Path, work: Path, timeout: int) -> dict:
    """One PE's slice (PE = 1, MH / PE channels, the first channels' parameters), synthesized and scaled by PE."""
    pe = inst.get_nodeattr("PE")
    mh = inst.get_nodeattr("MH")
    gen_dir = inst.get_nodeattr("code_gen_dir_ipgen")
    sub = out / "slice"
    sub.mkdir(parents=True, exist_ok=True)
    saved = {}
    try:
        inst.set_nodeattr("PE", 1)
        inst.set_nodeattr("MH", mh // pe)
        for i in range(1, len(node.input)):  # the first MH/PE channels' parameters
            full = model.get_initializer(node.input[i])
            saved[node.input[i]] = full
            model.set_initializer(node.input[i], full[..., : mh // pe] if full.ndim == 2 else full[: mh // pe])
        inst.set_nodeattr("code_gen_dir_ipgen", str(sub))
        inst.generate_hdl(model, PART, 5.0)
        res = _synth(work, f"slice_{node.name}", inst, [sub / f for f in inst.get_rtl_file_list()], timeout)
    finally:  # the model is left as it was
        inst.set_nodeattr("PE", pe)
        inst.set_nodeattr("MH", mh)
        inst.set_nodeattr("code_gen_dir_ipgen", gen_dir)
        for name, full in saved.items():
            model.set_initializer(name, full)
    return resources(res, pe)


def synth_block(model, node, out: Path, work: Path = WORK, timeout: int = 900,
                files: list[Path] | None = None) -> dict:
    """Yosys resources of one project block (a ``Snn*`` node of ``model``).

    Generates the block's HDL into ``out`` (as the bitstream flow does; ``files``: the block's already
    generated sources and memory files instead, e.g. a stitched build's) and synthesizes it whole in
    ``work/block_NAME``; where that fails (yowasp's slang frontend runs out of WASM stack on the widest
    blocks) or times out, one PE's slice (same SIMD, T and widths, generated into ``out/slice``) in
    ``work/slice_NAME``, scaled by PE: the PEs are independent copies. Returns ``{"yosys": RESOURCES,
    "method": ..., "synth_seconds": ...}``; raises ``SynthError`` / ``subprocess.TimeoutExpired`` when
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
        res = resources(_synth(work, f"block_{node.name}", inst, list(files), timeout))
    except (SynthError, subprocess.TimeoutExpired) as e:
        if "PE" not in inst.get_nodeattr_types() or "MH" not in inst.get_nodeattr_types():
            raise
        res = _slice(model, node, inst, out, work, timeout)
        method = f"one-PE slice x {inst.get_nodeattr('PE')} (whole block failed: {failure(e)[:160]})"
    return {"yosys": res, "method": method, "synth_seconds": time.time() - t}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", default=str(DEFAULT_RUN / "network.snn.npz"))
    ap.add_argument("--fps", type=float, default=50000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "blocks.json"))
    a = ap.parse_args()
    net = IntNetwork.load(a.network)
    model = build_dataflow(net, CompileOptions(fps=a.fps)).model
    rows = []
    for node in model.graph.node:
        if not node.op_type.startswith("Snn"):
            continue
        inst = getCustomOp(node)
        try:
            got = synth_block(model, node, ROOT / "sim_build" / "blocks" / node.name)
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
               "estimate": est, "lut_estimate_over_yosys": est["LUT"] / max(1, res["LUT"]),
               "synth_seconds": got["synth_seconds"]}
        rows.append(row)
        print(f"{node.name:<6} {node.op_type:<16} yosys LUT {res['LUT']:>7} FF {res['FF']:>7} BRAM18 {res['BRAM_18K']:>4} "
              f"DSP {res['DSP']:>3} | estimate LUT {est['LUT']:>7} ({row['lut_estimate_over_yosys']:.2f}x)", flush=True)
    total = {k: sum(r["yosys"][k] for r in rows if "yosys" in r) for k in ("LUT", "FF", "BRAM_18K", "DSP")}
    result = {"network": a.network, "fps": a.fps, "part": PART, "blocks": rows, "total_yosys": total}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
