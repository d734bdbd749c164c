"""The paper's pipeline in one call: ANN twin -> 99.7-percentile conversion -> DIET-SNN fine-tuning.

Checkpoints ``RUN/checkpoint.pt`` after every epoch of either phase;
``resume=True`` continues where it stopped. Under ``torchrun`` every process
trains on its shard with PyTorch's DistributedDataParallel (gloo on CPU).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from tqdm import tqdm

from .config import Config, config_from_dict
from .convert import convert
from .data import Split, batches, load_split
from .model import ANNTwin, DietSNN

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"


@dataclass
class Dist:
    """Process group facts (rank 0 of 1 when not under torchrun)."""

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed() -> Dist:
    if "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")
    if dist.is_initialized():
        return Dist(dist.get_rank(), dist.get_world_size())
    return Dist()


def _reduce_sum(values: list[float], d: Dist) -> list[float]:
    if d.world == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()


@torch.no_grad()
def evaluate_model(model, split: Split, batch_size: int, snn: bool, d: Dist = Dist()) -> float:
    """Top-1 accuracy (for the SNN: argmax of its integer scores, lowest index on ties)."""
    model.eval()
    correct = total = 0
    for x, y in batches(split, batch_size, shuffle=False, rank=d.rank, world=d.world):
        out = model(x)
        correct += int((out.argmax(1) == y).sum())
        total += len(y)
    correct, total = _reduce_sum([correct, total], d)
    return correct / max(total, 1)


def _cosine(opt, epochs: int, steps: int):
    total = max(epochs * steps, 1)
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))


@dataclass
class State:
    """Everything a checkpoint holds besides tensors."""

    phase: str = "ann"  #: "ann", "snn" or "done"
    epoch: int = 0  #: epochs finished in the current phase
    history: dict = field(default_factory=lambda: {"ann": [], "snn": []})
    ann_accuracy: float | None = None
    converted_accuracy: float | None = None
    lambdas: list | None = None
    train_seconds: float = 0.0
    snn_images_per_s: float | None = None
    world: int = 1  #: processes that trained the last epoch


def _save(run: Path, cfg: Config, st: State, ann, snn, opt, sched) -> None:
    tmp = run / (CHECKPOINT + ".tmp")
    torch.save({"config": cfg.to_dict(), "state": st.__dict__, "input_shape": list(ann.input_shape),
                "ann": ann.state_dict() if ann is not None else None,
                "snn": snn.state_dict() if snn is not None else None,
                "opt": opt.state_dict() if opt is not None else None,
                "sched": sched.state_dict() if sched is not None else None}, tmp)
    os.replace(tmp, run / CHECKPOINT)


def load_checkpoint(run: str | Path):
    """``(config, state, checkpoint dict)`` of a run folder."""
    path = Path(run) / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint (train first with `dietsnn train --out {run}`)")
    ck = torch.load(path, map_location="cpu", weights_only=False)
    return config_from_dict(ck["config"]), State(**ck["state"]), ck


def load_snn(run: str | Path) -> DietSNN:
    """The trained DIET-SNN of a run, in eval mode."""
    cfg, st, ck = load_checkpoint(run)
    if ck["snn"] is None:
        raise ValueError(f"{run}: the run has not reached the SNN phase yet (phase {st.phase!r})")
    snn = DietSNN(cfg, tuple(ck["input_shape"]))
    snn.load_state_dict(ck["snn"])
    return snn.eval()


def load_ann(run: str | Path) -> ANNTwin:
    """The trained ANN twin of a run, in eval mode."""
    cfg, _, ck = load_checkpoint(run)
    ann = ANNTwin(cfg, tuple(ck["input_shape"]))
    ann.load_state_dict(ck["ann"])
    return ann.eval()


def _epoch(model, opt, sched, split, cfg, epoch, d, desc, snn: bool):
    model.train()
    t0 = time.time()
    loss_sum = correct = seen = 0.0
    n_batches = math.ceil(len(split) / d.world / cfg.batch_size)
    bar = tqdm(batches(split, cfg.batch_size, True, epoch, cfg.seed, d.rank, d.world, cfg.augment),
               total=n_batches, desc=desc, disable=not d.main, leave=False, mininterval=2.0)
    for x, y in bar:
        if snn:
            scores = model(x)
            inner = model.module if isinstance(model, DDP) else model
            logits = inner.logits(scores)
        else:
            logits = model(x)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        loss_sum += float(loss.detach()) * len(y)
        correct += float((logits.argmax(1) == y).sum())
        seen += len(y)
        bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}", refresh=False)
    loss_sum, correct, seen = _reduce_sum([loss_sum, correct, seen], d)
    return loss_sum / seen, correct / seen, seen / (time.time() - t0)


def train(cfg: Config, run: str | Path, epochs: int | None = None, limit_train: int | None = None,
          limit_test: int | None = None, resume: bool = False, data_dir: str | None = None) -> State:
    """Run (or continue) the whole pipeline; returns the final state. ``epochs`` overrides both phases."""
    run = Path(run)
    d = init_distributed()
    if d.main:
        run.mkdir(parents=True, exist_ok=True)
    if epochs is not None:
        cfg = cfg.replace(ann_epochs=epochs, snn_epochs=epochs)
    torch.manual_seed(cfg.seed)
    train_split = load_split(cfg, "train", data_dir).limit(limit_train)
    test_split = load_split(cfg, "test", data_dir).limit(limit_test)
    shape = tuple(train_split.images.shape[1:])
    ann = ANNTwin(cfg, shape)
    snn = None
    st = State()
    ck = None
    if resume and (run / CHECKPOINT).is_file():
        _, st, ck = load_checkpoint(run)
        ann.load_state_dict(ck["ann"])
        log.info("resuming %s: phase %s after epoch %d", run, st.phase, st.epoch)
    steps = math.ceil(len(train_split) / d.world / cfg.batch_size)
    st.world = d.world
    t_start = time.time() - st.train_seconds

    # ---- phase 1: the ANN twin
    if st.phase == "ann":
        model = DDP(ann) if d.world > 1 else ann
        opt = torch.optim.Adam(model.parameters(), cfg.ann_lr, weight_decay=cfg.weight_decay)
        sched = _cosine(opt, cfg.ann_epochs, steps)
        if ck is not None and ck["opt"] is not None:
            opt.load_state_dict(ck["opt"])
            sched.load_state_dict(ck["sched"])
        for epoch in range(st.epoch, cfg.ann_epochs):
            loss, acc, ips = _epoch(model, opt, sched, train_split, cfg, epoch, d, f"ANN {epoch + 1}/{cfg.ann_epochs}", False)
            test_acc = evaluate_model(ann, test_split, 500, snn=False, d=d)
            st.history["ann"].append({"epoch": epoch + 1, "loss": loss, "train_acc": acc, "test_acc": test_acc,
                                      "images_per_s": ips})
            st.epoch = epoch + 1
            st.train_seconds = time.time() - t_start
            log.info("ANN epoch %d/%d: loss %.4f train %.4f test %.4f (%.0f img/s)",
                     epoch + 1, cfg.ann_epochs, loss, acc, test_acc, ips)
            if d.main:
                _save(run, cfg, st, ann, None, opt, sched)
        st.ann_accuracy = evaluate_model(ann, test_split, 500, snn=False, d=d)
        snn, st.lambdas = convert(ann, train_split, cfg)
        st.converted_accuracy = evaluate_model(snn, test_split, 200, snn=True, d=d)
        log.info("ANN twin test accuracy %.4f; converted SNN (T=%d) %.4f; lambdas %s",
                 st.ann_accuracy, cfg.T, st.converted_accuracy, [round(v, 4) for v in st.lambdas])
        st.phase, st.epoch = "snn", 0
        ck = None
        if d.main:
            _save(run, cfg, st, ann, snn, None, None)

    # ---- phase 2: DIET-SNN fine-tuning (weights, leaks, thresholds)
    if snn is None:
        snn = DietSNN(cfg, shape)
        snn.load_state_dict(ck["snn"])
    if st.phase == "snn":
        model = DDP(snn) if d.world > 1 else snn
        opt = torch.optim.Adam([
            {"params": snn.weight_parameters(), "lr": cfg.snn_lr, "weight_decay": cfg.weight_decay},
            {"params": snn.lif_parameters(), "lr": cfg.snn_param_lr, "weight_decay": 0.0}])
        sched = _cosine(opt, cfg.snn_epochs, steps)
        if ck is not None and ck["opt"] is not None:
            opt.load_state_dict(ck["opt"])
            sched.load_state_dict(ck["sched"])
        for epoch in range(st.epoch, cfg.snn_epochs):
            loss, acc, ips = _epoch(model, opt, sched, train_split, cfg, epoch, d, f"SNN {epoch + 1}/{cfg.snn_epochs}", True)
            test_acc = evaluate_model(snn, test_split, 200, snn=True, d=d)
            st.history["snn"].append({"epoch": epoch + 1, "loss": loss, "train_acc": acc, "test_acc": test_acc,
                                      "images_per_s": ips, "leak_shifts": _leaks(snn)})
            st.epoch = epoch + 1
            st.snn_images_per_s = ips * d.world
            st.train_seconds = time.time() - t_start
            log.info("SNN epoch %d/%d: loss %.4f train %.4f test %.4f (%.0f img/s) leak shifts %s",
                     epoch + 1, cfg.snn_epochs, loss, acc, test_acc, ips, _leaks(snn))
            if d.main:
                _save(run, cfg, st, ann, snn, opt, sched)
        st.phase = "done"
        st.train_seconds = time.time() - t_start
        if d.main:
            _save(run, cfg, st, ann, snn, None, None)
    return st


def _leaks(snn: DietSNN) -> list[int]:
    return [l.export_leak_shift() for l in snn.layers if getattr(l, "spiking", False)]
