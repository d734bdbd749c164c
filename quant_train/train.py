"""The paper's pipeline in one call: ANN twin -> 99.7-percentile conversion -> DIET-SNN fine-tuning.

Runs on the CPU or a CUDA GPU (``device``), in one process or under
``torchrun`` with DDP (``distributed.py``). Checkpoints ``RUN/checkpoint.pt``
after every epoch of either phase; ``resume=True`` continues where it
stopped, with any number of processes: the learning rate follows a cosine
over the fraction of the phase done, so it does not depend on the steps per
epoch, and each epoch's shuffle depends on the seed and the epoch only.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from tqdm import tqdm

from .checkpoint import CHECKPOINT, State, load_checkpoint, save_checkpoint
from .config import Config
from .convert import convert
from .data import Split, batches, load_split
from .device import describe, exact_numerics
from .distill import distill_loss
from .distributed import Dist, finish, gather, init_distributed, reduce_sum
from .model import ANNTwin, DietSNN

log = logging.getLogger(__name__)

#: config fields that define the network; a resumed run must keep them
STRUCTURAL = ("dataset", "layers", "T", "weight_bits", "input_bits", "act_bits", "per_channel_threshold")

__all__ = ["CHECKPOINT", "State", "train", "evaluate_model", "load_checkpoint", "load_snn", "load_ann"]


@torch.no_grad()
def evaluate_model(model, split: Split, batch_size: int, d: Dist = Dist(), device: torch.device | None = None) -> float:
    """Top-1 accuracy (for the SNN: argmax of its integer scores, lowest index on ties), in exact numerics."""
    device = device or torch.device("cpu")
    model.eval()
    correct = total = 0
    with exact_numerics():
        for x, y in batches(split, batch_size, shuffle=False, rank=d.rank, world=d.world):
            out = model(x.to(device, non_blocking=True))
            correct += int((out.argmax(1).cpu() == y).sum())
            total += len(y)
    correct, total = reduce_sum([correct, total], d, device)
    return correct / max(total, 1)


def load_snn(run: str | Path) -> DietSNN:
    """The trained DIET-SNN of a run, on the CPU, in eval mode."""
    cfg, st, ck = load_checkpoint(run)
    if ck["snn"] is None:
        raise ValueError(f"{run}: the run has not reached the SNN phase yet (phase {st.phase!r})")
    snn = DietSNN(cfg, tuple(ck["input_shape"]))
    snn.load_state_dict(ck["snn"])
    return snn.eval()


def load_ann(run: str | Path) -> ANNTwin:
    """The trained ANN twin of a run, on the CPU, in eval mode."""
    cfg, _, ck = load_checkpoint(run)
    ann = ANNTwin(cfg, tuple(ck["input_shape"]))
    ann.load_state_dict(ck["ann"])
    return ann.eval()


def _cosine(opt, base_lrs: list[float], progress: float) -> None:
    """Set each group's learning rate to ``base * (1 + cos(pi * progress)) / 2``, ``progress`` in [0, 1]."""
    f = 0.5 * (1 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))
    for group, base in zip(opt.param_groups, base_lrs):
        group["lr"] = base * f


def _epoch(model, opt, base_lrs, split, cfg, epoch, epochs, d, device, desc, snn: bool, teacher=None):
    """One epoch on this process's shard; returns ``(loss, train accuracy, images/s of this process)``.

    ``teacher`` (the ANN twin, in eval mode) adds ``cfg.distill`` of distillation to the loss.
    """
    model.train()
    t0 = time.perf_counter()
    loss_sum = correct = seen = 0.0
    n_batches = max(math.ceil(len(range(d.rank, len(split), d.world)) / cfg.batch_size), 1)
    bar = tqdm(batches(split, cfg.batch_size, True, epoch, cfg.seed, d.rank, d.world, cfg.augment),
               total=n_batches, desc=desc, disable=not d.main, leave=False, mininterval=2.0)
    inner = model.module if isinstance(model, DDP) else model
    for i, (x, y) in enumerate(bar):
        _cosine(opt, base_lrs, (epoch + i / n_batches) / epochs)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        logits = inner.logits(model(x)) if snn else model(x)
        if teacher is None:
            loss = F.cross_entropy(logits, y)
        else:
            with torch.no_grad():
                target = teacher(x)
            loss = distill_loss(logits, target, y, cfg.distill, cfg.distill_temperature)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_sum += float(loss.detach()) * len(y)
        correct += float((logits.argmax(1) == y).sum())
        seen += len(y)
        bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}", refresh=False)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    ips = seen / (time.perf_counter() - t0)
    loss_sum, correct, seen = reduce_sum([loss_sum, correct, seen], d, device)
    return loss_sum / seen, correct / seen, ips


def _check_args(epochs, limit_train, limit_test) -> None:
    for name, v in (("epochs", epochs), ("limit_train", limit_train), ("limit_test", limit_test)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{name} must be a whole number >= 1, not {v!r}")


def _resume_config(cfg: Config | None, saved: Config, path: Path) -> Config:
    if cfg is None:
        return saved
    differ = [k for k in STRUCTURAL if getattr(cfg, k) != getattr(saved, k)]
    if differ:
        raise ValueError(f"{path}: the run was trained with config {saved.name!r}, which differs from "
                         f"{cfg.name!r} in {differ}; resume with --config {saved.name} or start a new --out")
    return cfg


def _check_classes(cfg: Config, split: Split) -> None:
    out = cfg.layers[-1].out
    top = int(split.labels.max()) if len(split) else -1
    if out != len(split.classes) or top >= out:
        raise ValueError(f"config {cfg.name!r}: the output layer has {out} outputs but the {cfg.dataset.value} data "
                         f"has {len(split.classes)} classes (labels up to {top})")


def _log_speed(d: Dist, phase: str, epoch: int, per_rank: list[float]) -> None:
    if d.world > 1:
        log.info("%s epoch %d: %.0f images/s in total (%s)", phase, epoch, sum(per_rank),
                 ", ".join(f"rank {r}: {v:.0f}" for r, v in enumerate(per_rank)))


def train(cfg: Config | None, run: str | Path, epochs: int | None = None, limit_train: int | None = None,
          limit_test: int | None = None, resume: bool = False, data_dir: str | None = None,
          device: str = "auto") -> State:
    """Run (or continue) the whole pipeline; returns the final state.

    ``epochs`` overrides both phases; ``limit_*`` use the first N images;
    ``device``: ``auto`` (CUDA when present), ``cpu``, ``cuda`` or ``cuda:N``;
    ``cfg=None`` with ``resume`` continues with the checkpoint's config.
    """
    _check_args(epochs, limit_train, limit_test)
    run = Path(run)
    st, ck = State(), None
    if resume:
        if not (run / CHECKPOINT).is_file():
            raise FileNotFoundError(f"--resume: {run / CHECKPOINT} does not exist; nothing to resume (train without "
                                    f"--resume to start a new run in {run})")
        saved, st, ck = load_checkpoint(run)
        cfg = _resume_config(cfg, saved, run / CHECKPOINT)
    elif cfg is None:
        raise ValueError("train: a config is needed unless resuming")
    if epochs is not None:
        cfg = cfg.replace(ann_epochs=epochs, snn_epochs=epochs)
    d, dev = init_distributed(device)
    if d.main:
        run.mkdir(parents=True, exist_ok=True)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True  # training only; evaluation switches to exact numerics
    log.info("training %s on %s, %d process(es) (%s)", cfg.name, describe(dev), d.world, d.backend)
    torch.manual_seed(cfg.seed)
    train_split = load_split(cfg, "train", data_dir).limit(limit_train)
    test_split = load_split(cfg, "test", data_dir).limit(limit_test)
    _check_classes(cfg, train_split)
    shape = tuple(train_split.images.shape[1:])
    ann = ANNTwin(cfg, shape)
    if ck is not None:
        ann.load_state_dict(ck["ann"])
        log.info("resuming %s: phase %s after epoch %d (trained by %d process(es) on %s)",
                 run, st.phase, st.epoch, st.world, st.device)
    ann.to(dev)
    snn = None
    st.world, st.device = d.world, dev.type
    t_start = time.time() - st.train_seconds
    ddp_args = {"device_ids": [dev.index]} if dev.type == "cuda" else {}

    # ---- phase 1: the ANN twin
    if st.phase == "ann":
        model = DDP(ann, **ddp_args) if d.world > 1 else ann
        opt = torch.optim.Adam(model.parameters(), cfg.ann_lr, weight_decay=cfg.weight_decay)
        if ck is not None and ck.get("opt") is not None:
            opt.load_state_dict(ck["opt"])
        test_acc = None
        for epoch in range(st.epoch, cfg.ann_epochs):
            loss, acc, ips = _epoch(model, opt, [cfg.ann_lr], train_split, cfg, epoch, cfg.ann_epochs, d, dev,
                                    f"ANN {epoch + 1}/{cfg.ann_epochs}", False)
            per_rank = gather(ips, d, dev)
            test_acc = evaluate_model(ann, test_split, 500, d, dev)
            st.history["ann"].append({"epoch": epoch + 1, "loss": loss, "train_acc": acc, "test_acc": test_acc,
                                      "images_per_s": sum(per_rank), "images_per_s_per_process": per_rank})
            st.epoch = epoch + 1
            st.train_seconds = time.time() - t_start
            log.info("ANN epoch %d/%d: loss %.4f train %.4f test %.4f (%.0f img/s)",
                     epoch + 1, cfg.ann_epochs, loss, acc, test_acc, sum(per_rank))
            _log_speed(d, "ANN", epoch + 1, per_rank)
            if d.main:
                save_checkpoint(run, cfg, st, shape, ann, None, opt)
        # the last epoch's test accuracy is the final model's (evaluate again only if no epoch ran here)
        st.ann_accuracy = test_acc if test_acc is not None else evaluate_model(ann, test_split, 500, d, dev)
        snn, st.lambdas = convert(ann, train_split, cfg)
        st.converted_accuracy = evaluate_model(snn, test_split, 200, d, dev)
        log.info("ANN twin test accuracy %.4f; converted SNN (T=%d) %.4f; lambdas %s",
                 st.ann_accuracy, cfg.T, st.converted_accuracy, [round(v, 4) for v in st.lambdas])
        st.phase, st.epoch = "snn", 0
        ck = None
        if d.main:
            save_checkpoint(run, cfg, st, shape, ann, snn, None)

    # ---- phase 2: DIET-SNN fine-tuning (weights, leaks, thresholds)
    if snn is None:
        snn = DietSNN(cfg, shape)
        snn.load_state_dict(ck["snn"])
        snn.to(dev)
    if st.phase == "snn":
        model = DDP(snn, **ddp_args) if d.world > 1 else snn
        bases = [cfg.snn_lr, cfg.snn_param_lr]
        opt = torch.optim.Adam([
            {"params": snn.weight_parameters(), "lr": cfg.snn_lr, "weight_decay": cfg.snn_weight_decay},
            {"params": snn.lif_parameters(), "lr": cfg.snn_param_lr, "weight_decay": 0.0}])
        if ck is not None and ck.get("opt") is not None:
            opt.load_state_dict(ck["opt"])
        teacher = ann.eval() if cfg.distill > 0 else None
        if teacher is not None:
            log.info("distilling from the ANN twin: weight %g, temperature %g", cfg.distill, cfg.distill_temperature)
        for epoch in range(st.epoch, cfg.snn_epochs):
            loss, acc, ips = _epoch(model, opt, bases, train_split, cfg, epoch, cfg.snn_epochs, d, dev,
                                    f"SNN {epoch + 1}/{cfg.snn_epochs}", True, teacher)
            per_rank = gather(ips, d, dev)
            test_acc = evaluate_model(snn, test_split, 200, d, dev)
            st.history["snn"].append({"epoch": epoch + 1, "loss": loss, "train_acc": acc, "test_acc": test_acc,
                                      "images_per_s": sum(per_rank), "images_per_s_per_process": per_rank,
                                      "leak_shifts": _leaks(snn)})
            st.epoch = epoch + 1
            st.snn_images_per_s = sum(per_rank)
            st.train_seconds = time.time() - t_start
            log.info("SNN epoch %d/%d: loss %.4f train %.4f test %.4f (%.0f img/s) leak shifts %s",
                     epoch + 1, cfg.snn_epochs, loss, acc, test_acc, sum(per_rank), _leaks(snn))
            _log_speed(d, "SNN", epoch + 1, per_rank)
            if d.main:
                save_checkpoint(run, cfg, st, shape, ann, snn, opt)
        st.phase = "done"
        st.train_seconds = time.time() - t_start
        if d.main:
            save_checkpoint(run, cfg, st, shape, ann, snn, None)
    finish(d)
    return st


def _leaks(snn: DietSNN) -> list[int]:
    return [l.export_leak_shift() for l in snn.layers if getattr(l, "spiking", False)]
