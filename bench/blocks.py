"""``make bench-blocks``: Yosys (synth_xilinx -family xcup) resources of every project block of the fmnist build.

For the folding ``dietsnn compile --fps 50000`` picks, each layer's RTL block is
generated as in the bitstream flow and synthesized; the LUT/FF/BRAM/DSP counts
go to ``bench/results/blocks.json`` next to the compile estimator's numbers and
their ratio (the estimator is calibrated to stay within 30%).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

from qonnx.custom_op.registry import getCustomOp

from dietsnn.cli import DEFAULT_RUN
from dietsnn.netfile import IntNetwork
from hw.compile import CompileOptions, build_dataflow
from hw.synth import SynthError, synthesize

ROOT = Path(__file__).resolve().parent.parent
PART = "xczu7ev-ffvc1156-2-e"


def _slice(model, node, inst, out: Path) -> dict:
    pe = inst.get_nodeattr("PE")
    mh = inst.get_nodeattr("MH")
    sub = out / "slice"
    sub.mkdir(exist_ok=True)
    inst.set_nodeattr("PE", 1)
    inst.set_nodeattr("MH", mh // pe)
    for i in range(1, len(node.input)):  # the first MH/PE channels' parameters
        full = model.get_initializer(node.input[i])
        model.set_initializer(node.input[i], full[..., : mh // pe] if full.ndim == 2 else full[: mh // pe])
    inst.set_nodeattr("code_gen_dir_ipgen", str(sub))
    inst.generate_hdl(model, PART, 5.0)
    files = [sub / f for f in inst.get_rtl_file_list()]
    res = synthesize(f"slice_{node.name}", inst.get_nodeattr("gen_top_module"),
                     [f for f in files if f.suffix in (".sv", ".v")], {}, [f for f in files if f.suffix == ".mem"])
    inst.set_nodeattr("PE", pe)
    inst.set_nodeattr("MH", mh)
    scaled = {k: (v * pe if k in ("LUT", "LUT_logic", "LUT_mem", "FF", "DSP") else v) for k, v in res.items()
              if k != "cells"}
    scaled["BRAM_18K"] = res["BRAM_18K"] * pe
    return scaled


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
        out = ROOT / "sim_build" / "blocks" / node.name
        out.mkdir(parents=True, exist_ok=True)
        inst.set_nodeattr("code_gen_dir_ipgen", str(out))
        inst.generate_hdl(model, PART, 5.0)
        files = [out / f for f in inst.get_rtl_file_list()]
        t = time.time()
        method = "whole block"
        try:
            res = synthesize(f"block_{node.name}", inst.get_nodeattr("gen_top_module"),
                             [f for f in files if f.suffix in (".sv", ".v")], {},
                             [f for f in files if f.suffix == ".mem"], timeout=900)
        except (SynthError, subprocess.TimeoutExpired) as e:
            # yowasp's slang frontend runs out of WASM stack on the widest blocks: synthesize one
            # PE's slice (same SIMD, T and widths) and scale by PE; the PEs are independent copies
            try:
                res = _slice(model, node, inst, out)
            except (SynthError, subprocess.TimeoutExpired) as e2:
                rows.append({"layer": node.name, "op_type": node.op_type, "method": "not synthesized",
                             "error": str(e2).splitlines()[0][:300]})
                print(f"{node.name:<6} {node.op_type:<16} not synthesized: {str(e2).splitlines()[0][:120]}", flush=True)
                continue
            method = f"one-PE slice x {inst.get_nodeattr('PE')} (whole block failed: {str(e).splitlines()[0][:120]})"
        est = {"LUT": int(inst.lut_estimation(PART)), "BRAM_18K": int(inst.bram_estimation(PART)),
               "DSP": int(inst.dsp_estimation(PART))}
        row = {"layer": node.name, "op_type": node.op_type, "method": method,
               "folding": {k: int(inst.get_nodeattr(k)) for k in ("SIMD", "PE") if k in inst.get_nodeattr_types()},
               "yosys": {k: res[k] for k in ("LUT", "LUT_logic", "LUT_mem", "FF", "BRAM_18K", "DSP")},
               "estimate": est, "lut_estimate_over_yosys": est["LUT"] / max(1, res["LUT"]),
               "synth_seconds": time.time() - t}
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
