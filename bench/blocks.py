"""``make bench-blocks``: Yosys (synth_xilinx -family xcup) resources of every project block of the fmnist build.

For the folding ``dietsnn compile --fps 50000`` picks, each layer's RTL block is
generated as in the bitstream flow and synthesized; the LUT/FF/BRAM/DSP counts
go to ``bench/results/blocks.json`` next to the compile estimator's numbers and
their ratio (the estimator is calibrated to stay within 30%).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from qonnx.custom_op.registry import getCustomOp

from dietsnn.cli import DEFAULT_RUN
from dietsnn.netfile import IntNetwork
from hw.compile import CompileOptions, build_dataflow
from hw.synth import synthesize

ROOT = Path(__file__).resolve().parent.parent
PART = "xczu7ev-ffvc1156-2-e"


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
        res = synthesize(f"block_{node.name}", inst.get_nodeattr("gen_top_module"),
                         [f for f in files if f.suffix in (".sv", ".v")], {}, [f for f in files if f.suffix == ".mem"])
        est = {"LUT": int(inst.lut_estimation(PART)), "BRAM_18K": int(inst.bram_estimation(PART)),
               "DSP": int(inst.dsp_estimation(PART))}
        row = {"layer": node.name, "op_type": node.op_type,
               "folding": {k: int(inst.get_nodeattr(k)) for k in ("SIMD", "PE") if k in inst.get_nodeattr_types()},
               "yosys": {k: res[k] for k in ("LUT", "LUT_logic", "LUT_mem", "FF", "BRAM_18K", "DSP")},
               "estimate": est, "lut_estimate_over_yosys": est["LUT"] / max(1, res["LUT"]),
               "synth_seconds": time.time() - t}
        rows.append(row)
        print(f"{node.name:<6} {node.op_type:<16} yosys LUT {res['LUT']:>7} FF {res['FF']:>7} BRAM18 {res['BRAM_18K']:>4} "
              f"DSP {res['DSP']:>3} | estimate LUT {est['LUT']:>7} ({row['lut_estimate_over_yosys']:.2f}x)", flush=True)
    total = {k: sum(r["yosys"][k] for r in rows) for k in ("LUT", "FF", "BRAM_18K", "DSP")}
    result = {"network": a.network, "fps": a.fps, "part": PART, "blocks": rows, "total_yosys": total}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
