"""``make bench-train``: train the default ``fmnist`` config from scratch and record it.

Writes ``bench/results/train.json`` (integer-network test accuracy at T=5 on
all 10,000 test images, ANN twin accuracy, PyTorch-vs-golden agreement count,
wall time, and SNN training throughput against snnTorch) and refreshes the
shipped default model in ``models/fmnist/`` (network, slim checkpoint,
metrics, plots).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import shutil
import time
from pathlib import Path

import torch

from quant_train.config import load_config
from quant_train.report import NETWORK_FILE, write_metrics
from quant_train.train import CHECKPOINT, train

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("metrics.json", "training_curves.png", "spike_rates.png", NETWORK_FILE, "model.qonnx.onnx")


def ship(run: Path, dest: Path) -> None:
    """Copy the run's results into ``dest`` with a checkpoint stripped of optimizer state."""
    from dietsnn.netfile import IntNetwork
    from hw.qonnx_export import save_qonnx

    dest.mkdir(parents=True, exist_ok=True)
    save_qonnx(IntNetwork.load(run / NETWORK_FILE), run / "model.qonnx.onnx")
    for name in SHIPPED:
        shutil.copy2(run / name, dest / name)
    ck = torch.load(run / CHECKPOINT, map_location="cpu", weights_only=False)
    ck["opt"] = ck["sched"] = None
    torch.save(ck, dest / CHECKPOINT)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="fmnist")
    ap.add_argument("--run", default=str(ROOT / "bench" / "runs" / "fmnist"))
    ap.add_argument("--resume", action="store_true", help="continue an interrupted benchmark run")
    ap.add_argument("--ship", default=str(ROOT / "models" / "fmnist"), help="where to copy the trained model ('' = nowhere)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "train.json"))
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    cfg = load_config(a.config)
    run = Path(a.run)
    if run.exists() and not a.resume:
        shutil.rmtree(run)
    t0 = time.time()
    st = train(cfg, run, resume=a.resume)
    train_wall = time.time() - t0
    m = write_metrics(run)
    from bench.train_speed import compare  # snnTorch is imported only here

    speed = compare(cfg)
    result = {
        "config": cfg.name, "T": cfg.T, "weight_bits": cfg.weight_bits, "test_images": m["images"],
        "integer_accuracy": m["integer_accuracy"], "snn_pytorch_accuracy": m["snn_accuracy"],
        "ann_twin_accuracy": m["ann_accuracy"], "converted_snn_accuracy": m["converted_snn_accuracy"],
        "golden_agreement": m["golden_agreement"],
        "train_wall_s": train_wall if not a.resume else st.train_seconds,
        "train_seconds_recorded": st.train_seconds,
        "epochs": {"ann": cfg.ann_epochs, "snn": cfg.snn_epochs},
        "leak_shifts": [l["leak_shift"] for l in m["layers"] if "leak_shift" in l],
        "energy_ann_over_snn": m["energy"]["ann_over_snn"],
        "training_speed_vs_snntorch": speed,
        "machine": {"cpus": torch.get_num_threads(), "platform": platform.platform(), "torch": torch.__version__},
    }
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    if a.ship:
        ship(run, Path(a.ship))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
