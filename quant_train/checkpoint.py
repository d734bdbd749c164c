"""``RUN/checkpoint.pt``: a run's state as data, never code.

A checkpoint holds the config (a dict), the training state (plain numbers,
lists, dicts), the input shape and state dicts of tensors: PyTorch loads it
with ``weights_only=True``, whose unpickler builds tensors and plain
containers only, so a checkpoint from someone else cannot run code on
``export``, ``evaluate`` or ``--resume``. Anything else inside is refused with
the file's name. Writes are atomic (a temporary file renamed over the old one).
"""

from __future__ import annotations

import dataclasses
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch

from dietsnn.fsutil import atomic_file

from .config import Config, config_from_dict

CHECKPOINT = "checkpoint.pt"
FORMAT = 2  #: 2: pool layers record their stride (format 1, unnumbered, meant stride = kernel)


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: unreadable, refused (not plain data) or incomplete."""


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
    snn_images_per_s: float | None = None  #: all processes together, last SNN epoch
    world: int = 1  #: processes that trained the last epoch
    device: str = "cpu"  #: device type that trained the last epoch ("cpu", "cuda")


def _cpu(state_dict):
    return None if state_dict is None else {k: v.detach().cpu() if torch.is_tensor(v) else v
                                            for k, v in state_dict.items()}


def save_checkpoint(run: str | Path, cfg: Config, st: State, input_shape, ann=None, snn=None, opt=None) -> Path:
    """Write ``RUN/checkpoint.pt`` atomically; model tensors are stored on the CPU."""
    path = Path(run) / CHECKPOINT
    data = {"format": FORMAT, "config": cfg.to_dict(), "state": dataclasses.asdict(st),
            "input_shape": list(input_shape), "ann": _cpu(ann.state_dict()) if ann is not None else None,
            "snn": _cpu(snn.state_dict()) if snn is not None else None,
            "opt": opt.state_dict() if opt is not None else None}
    with atomic_file(path, "wb") as f:
        torch.save(data, f)
    return path


def _migrate_config(data: dict, fmt: int) -> dict:
    if fmt >= 2:
        return data
    layers = [dict(l) for l in data.get("layers", [])]
    for l in layers:  # format 1 stored pool strides as 1 while meaning "equal to the kernel"
        if l.get("kind") == "pool":
            l["stride"] = l.get("kernel", 2)
    return {**data, "layers": layers}


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint's dict, loaded as data only; ``CheckpointError`` naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint (train first with `dietsnn train --out {path.parent}`)")
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        text = str(e)
        found = re.search(r"unsupported (?:global|GLOBAL) [^\s]+", text, re.IGNORECASE)
        if found or "Weights only load failed" in text:
            what = found.group(0) if found else "objects other than tensors and containers"
            raise CheckpointError(f"{path}: refused: a checkpoint must hold only tensors and plain data, and this "
                                  f"one holds something else ({what})") from None
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint (truncated or corrupt?): "
                              f"UnpicklingError: {' '.join(text.split())[:300]}") from None
    except Exception as e:  # a corrupt file fails anywhere in zip reading or unpickling
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint (truncated or corrupt?): "
                              f"{type(e).__name__}: {' '.join(str(e).split())[:300]}") from None
    if not isinstance(ck, dict):
        raise CheckpointError(f"{path}: expected a dict of config, state and tensors, got {type(ck).__name__}")
    missing = [k for k in ("config", "state", "input_shape", "ann", "snn") if k not in ck]
    if missing:
        raise CheckpointError(f"{path}: not a dietsnn training checkpoint: missing {missing}")
    return ck


def load_checkpoint(run: str | Path) -> tuple[Config, State, dict]:
    """``(config, state, checkpoint dict)`` of a run folder."""
    path = Path(run) / CHECKPOINT
    ck = read_checkpoint(path)
    fmt = ck.get("format", 1)
    if not isinstance(fmt, int) or fmt > FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {fmt!r} is newer than this version reads ({FORMAT})")
    if not isinstance(ck["config"], dict) or not isinstance(ck["state"], dict):
        raise CheckpointError(f"{path}: 'config' and 'state' must be dicts")
    cfg = config_from_dict(_migrate_config(ck["config"], fmt), f"{path}: config")
    known = {f.name for f in dataclasses.fields(State)}
    unknown = sorted(set(ck["state"]) - known)
    if unknown:
        raise CheckpointError(f"{path}: unknown state entries {unknown}")
    return cfg, State(**ck["state"]), ck
