"""``make bench-lowering``: golden vs QONNX vs dataflow execution of the shipped fmnist network on the test set.

Writes ``bench/results/lowering.json``: per level the scores identical to the
golden (count of images), the time, and the compile report at each target
frame rate.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from flow.cli import DEFAULT_RUN
from dietsnn.netfile import IntNetwork
from dietsnn.ref import run_network
from hw.compile import CompileOptions, build_dataflow
from hw.execute import execute_dataflow
from hw.qonnx_export import execute_qonnx
from quant_train.config import load_config
from quant_train.data import load_split

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", default=str(DEFAULT_RUN / "network.snn.npz"))
    ap.add_argument("--limit", type=int, help="first N test images (default: all 10,000)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "lowering.json"))
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    net = IntNetwork.load(a.network)
    images = load_split(load_config("fmnist"), "test").limit(a.limit).images.numpy()
    labels = load_split(load_config("fmnist"), "test").limit(a.limit).labels.numpy()
    result = {"network": str(a.network), "images": len(images), "levels": {}, "compile": {}}
    t = time.time()
    golden = run_network(net, images).scores
    result["levels"]["golden"] = {"seconds": time.time() - t, "accuracy": float((golden.argmax(1) == labels).mean())}
    t = time.time()
    q = execute_qonnx(net, images)
    result["levels"]["qonnx"] = {"seconds": time.time() - t, "identical_scores": int((q == golden).all(1).sum())}
    for fps in (1000, 10000, 50000):
        t = time.time()
        res = build_dataflow(net, CompileOptions(fps=fps))
        r = res.report
        result["compile"][str(fps)] = {"seconds": time.time() - t, "meets_target": r["meets_target"],
                                       "estimated_fps": r["estimated_fps"], "max_cycles": r["max_cycles"],
                                       "totals": r["totals"], "bottleneck": r["bottleneck"],
                                       "folding": {l["layer"]: [l["SIMD"], l["PE"]] for l in r["layers"]}}
        if fps == 50000:
            t = time.time()
            d = execute_dataflow(res.model, images, progress=True)
            result["levels"]["dataflow"] = {"seconds": time.time() - t, "fps_target": fps,
                                            "identical_scores": int((d == golden).all(1).sum())}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    ok = all(v.get("identical_scores", len(images)) == len(images) for v in result["levels"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
