"""``make bench-train``: train the default ``fmnist`` config from scratch and record it.

Writes ``bench/results/train.json``. Its top level describes the shipped
model (integer-network test accuracy at T=5 on all 10,000 test images, ANN
twin accuracy, PyTorch-vs-golden agreement, wall time); every training run is
appended to ``recipe_experiments`` (label, config overrides, accuracies), so
recipe changes are measured one by one; ``training_speed_vs_snntorch`` holds
the throughput against snnTorch on the CPU and on a GPU when the machine has
one (a GPU entry that could not be measured says so). A run replaces the
shipped ``models/fmnist/`` only when it reaches ``--ship-min-accuracy`` and
PyTorch agrees with the golden on every test image (other benchmarks build
hardware from the shipped model).

    python -m bench.train                          # the full benchmark (~70 min on 2 free cores)
    python -m bench.train --speed-only             # refresh only the throughput comparison
    python -m bench.train --label more-epochs --set snn_epochs=20 --no-speed
                                                   # one recipe change, appended to "recipe_experiments"
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
import yaml

from dietsnn.fsutil import atomic_write_text
from quant_train.checkpoint import CHECKPOINT, read_checkpoint
from quant_train.config import load_config
from quant_train.report import NETWORK_FILE, write_metrics
from quant_train.train import train

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("metrics.json", "training_curves.png", "spike_rates.png", NETWORK_FILE, "model.qonnx.onnx")
log = logging.getLogger("bench.train")


def ship(run: Path, dest: Path) -> None:
    """Copy the run's results into ``dest`` with a checkpoint stripped of optimizer state."""
    from dietsnn.fsutil import atomic_folder
    from dietsnn.netfile import IntNetwork
    from hw.qonnx_export import save_qonnx

    save_qonnx(IntNetwork.load(run / NETWORK_FILE), run / "model.qonnx.onnx")
    ck = read_checkpoint(run / CHECKPOINT)
    ck["opt"] = None
    with atomic_folder(dest) as tmp:
        for name in SHIPPED:
            shutil.copy2(run / name, tmp / name)
        torch.save(ck, tmp / CHECKPOINT)


def speed_entries(cfg) -> dict:
    """Throughput against snnTorch on the CPU, and on CUDA when present (else marked as not measured)."""
    from bench.train_speed import compare  # snnTorch is imported only here

    out = {"cpu": compare(cfg, device="cpu"), "cpu_1_thread": compare(cfg, device="cpu", threads=1)}
    if torch.cuda.is_available():
        out["cuda"] = compare(cfg, device="cuda")
    else:
        out["cuda"] = {"measured": False, "reason": "no CUDA device on the machine that ran this benchmark; "
                                                    "run `python -m bench.train --speed-only` on one"}
    return out


def _overrides(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--set: expected KEY=VALUE, not {item!r}")
        value = yaml.safe_load(value)
        if isinstance(value, str):  # YAML 1.1 reads 1e-4 as a string
            try:
                value = float(value)
            except ValueError:
                pass
        out[key] = value
    return out


def _result(cfg, m: dict, st, wall: float) -> dict:
    return {
        "config": cfg.name, "T": cfg.T, "weight_bits": cfg.weight_bits, "test_images": m["images"],
        "integer_accuracy": m["integer_accuracy"], "snn_pytorch_accuracy": m["snn_accuracy"],
        "ann_twin_accuracy": m["ann_accuracy"], "converted_snn_accuracy": m["converted_snn_accuracy"],
        "golden_agreement": m["golden_agreement"], "train_wall_s": wall, "train_seconds_recorded": st.train_seconds,
        "epochs": {"ann": cfg.ann_epochs, "snn": cfg.snn_epochs},
        "leak_shifts": [l["leak_shift"] for l in m["layers"] if "leak_shift" in l],
        "energy_ann_over_snn": m["energy"]["ann_over_snn"], "trained_on": m["trained_on"],
    }


def _fork(src: Path, run: Path, overrides: dict, what: str, snn_too: bool):
    """A checkpoint in ``run`` holding ``src``'s trained ANN twin (and SNN when ``snn_too``), config ``overrides``."""
    from quant_train.checkpoint import State, load_checkpoint, save_checkpoint
    from quant_train.model import ANNTwin, DietSNN

    saved, st0, ck = load_checkpoint(src)
    cfg = saved.replace(**overrides)
    if st0.phase == "ann" or (snn_too and ck["snn"] is None):
        raise SystemExit(f"{what}: {src} has not finished its ANN twin{' and SNN' if snn_too else ''} "
                         f"(phase {st0.phase!r})")
    if cfg.ann_epochs != saved.ann_epochs:
        raise SystemExit(f"{what}: {src}'s twin was trained for {saved.ann_epochs} epochs; ann_epochs cannot "
                         f"change ({cfg.ann_epochs} asked)")
    shape = tuple(ck["input_shape"])
    ann = ANNTwin(cfg, shape)
    ann.load_state_dict(ck["ann"])
    snn = None
    if snn_too:
        snn = DietSNN(cfg, shape)
        snn.load_state_dict(ck["snn"])
        st = State(phase="snn", history={"ann": st0.history["ann"], "snn": [], "first_cycle_snn": st0.history["snn"]},
                   ann_accuracy=st0.ann_accuracy, converted_accuracy=st0.converted_accuracy, lambdas=st0.lambdas,
                   train_seconds=st0.train_seconds)
    else:  # the ANN phase finished: resuming converts the twin again (deterministic) and fine-tunes it
        st = State(phase="ann", epoch=cfg.ann_epochs, history={"ann": st0.history["ann"], "snn": []})
    run.mkdir(parents=True, exist_ok=True)
    save_checkpoint(run, cfg, st, shape, ann, snn, None)
    return cfg


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="fmnist")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    ap.add_argument("--label", help="the run's name in recipe_experiments (default: 'default recipe')")
    ap.add_argument("--run", help="run folder (default bench/runs/<label or config>)")
    ap.add_argument("--resume", action="store_true", help="continue an interrupted benchmark run")
    ap.add_argument("--continue-snn", metavar="RUN",
                    help="a second DIET-SNN fine-tuning cycle (cosine restarted, --set snn_epochs/snn_lr) from the "
                         "trained SNN of RUN (e.g. models/fmnist), instead of training from scratch")
    ap.add_argument("--from-ann", metavar="RUN",
                    help="convert and fine-tune RUN's trained ANN twin instead of training a new one (SNN-phase "
                         "recipe changes measured on the same twin); the wall time then counts the SNN phase only")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--ship", default=str(ROOT / "models" / "fmnist"), help="where to copy the model ('' = nowhere)")
    ap.add_argument("--ship-min-accuracy", type=float, default=0.931,
                    help="ship only a model at least this accurate (and identical to the golden on every image)")
    ap.add_argument("--speed-only", action="store_true", help="only refresh training_speed_vs_snntorch")
    ap.add_argument("--no-speed", action="store_true", help="skip the throughput comparison")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "train.json"))
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    out = Path(a.out)
    record = json.loads(out.read_text()) if out.is_file() else {}
    cfg = load_config(a.config).replace(**_overrides(a.set))
    if a.speed_only:
        record["training_speed_vs_snntorch"] = speed_entries(cfg)
        atomic_write_text(out, json.dumps(record, indent=2))
        print(json.dumps(record["training_speed_vs_snntorch"], indent=2))
        return 0
    run = Path(a.run or ROOT / "bench" / "runs" / (a.label or cfg.name))
    if run.exists() and not a.resume:
        shutil.rmtree(run)
    t0 = time.time()
    if a.continue_snn and a.from_ann:
        raise SystemExit("--continue-snn and --from-ann exclude each other")
    if a.continue_snn and not a.resume:
        cfg = _fork(Path(a.continue_snn), run, _overrides(a.set), "--continue-snn", snn_too=True)
    if a.from_ann and not a.resume:
        cfg = _fork(Path(a.from_ann), run, _overrides(a.set), "--from-ann", snn_too=False)
    st = train(cfg, run, resume=a.resume or bool(a.continue_snn or a.from_ann), device=a.device)
    wall = time.time() - t0 if not a.resume else st.train_seconds
    m = write_metrics(run, device=a.device)
    result = _result(cfg, m, st, wall)
    result["machine"] = {"cpus": torch.get_num_threads(), "platform": platform.platform(), "torch": torch.__version__}
    result.update(label=a.label or "default recipe", overrides=_overrides(a.set))
    for flag, src in (("continued_from", a.continue_snn), ("ann_twin_from", a.from_ann)):
        if src:
            result[flag] = str(src)
    record.setdefault("recipe_experiments", []).append(result)
    if not a.no_speed:
        record["training_speed_vs_snntorch"] = speed_entries(cfg)
    agree = m["golden_agreement"]["identical_scores"] == m["images"]
    if a.ship and m["integer_accuracy"] >= a.ship_min_accuracy and agree:
        ship(run, Path(a.ship))
        record.update({k: v for k, v in result.items() if k not in ("label", "overrides")},
                      shipped_recipe={"label": result["label"], "overrides": result["overrides"]})
        log.info("shipped %s to %s", run, a.ship)
    elif a.ship:
        log.info("not shipped: integer accuracy %.4f (needs %.4f), golden agreement %d/%d", m["integer_accuracy"],
                 a.ship_min_accuracy, m["golden_agreement"]["identical_scores"], m["images"])
    atomic_write_text(out, json.dumps(record, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
