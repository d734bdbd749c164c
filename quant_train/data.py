"""Datasets as uint8 tensors ``(N, C, H, W)`` with int64 labels, and a batch iterator.

- Fashion-MNIST from IDX files (``*-idx3-ubyte`` / ``.gz``), by default where
  Debian's ``dataset-fashion-mnist`` puts them.
- CIFAR-10/100 from a folder in torchvision's format (``cifar-10-batches-py``
  or ``cifar-100-python`` pickles).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .config import Config, Dataset

from dietsnn.datasets import (FMNIST_CLASSES, FMNIST_DIR, FMNIST_FILES, DatasetNotFound,  # noqa: F401
                              load_fmnist_arrays, read_idx)


@dataclass
class Split:
    """One split of a dataset in memory."""

    images: torch.Tensor  #: uint8 (N, C, H, W)
    labels: torch.Tensor  #: int64 (N,)
    classes: tuple[str, ...]  #: class names

    def __len__(self) -> int:
        return len(self.labels)

    def limit(self, n: int | None) -> "Split":
        if n is None or n >= len(self):
            return self
        return Split(self.images[:n], self.labels[:n], self.classes)


def load_fmnist(split: str, data_dir: str | None = None) -> Split:
    images, labels = load_fmnist_arrays(split, data_dir)
    return Split(torch.from_numpy(images), torch.from_numpy(labels), FMNIST_CLASSES)


def load_cifar(split: str, data_dir: str | None, classes: int) -> Split:
    if data_dir is None:
        raise DatasetNotFound(f"CIFAR-{classes} needs --data-dir (a folder in torchvision's format)")
    root = Path(data_dir)
    sub = "cifar-10-batches-py" if classes == 10 else "cifar-100-python"
    folder = root / sub if (root / sub).is_dir() else root
    if classes == 10:
        names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
        meta, label_key, name_key = "batches.meta", b"labels", b"label_names"
    else:
        names = [split]
        meta, label_key, name_key = "meta", b"fine_labels", b"fine_label_names"
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise DatasetNotFound(
            f"CIFAR-{classes} {split} split not found: looked for {missing} in {folder}. "
            f"Download the python version of CIFAR-{classes} (torchvision's "
            f"`CIFAR{classes}(root, download=True)` makes this folder) and pass --data-dir.")
    xs, ys = [], []
    for n in names:
        with open(folder / n, "rb") as f:
            d = pickle.load(f, encoding="bytes")
        data = np.asarray(d[b"data"], dtype=np.uint8)
        if data.ndim != 2 or data.shape[1] != 3072:
            raise ValueError(f"{folder / n}: expected 'data' of shape (N, 3072), got {data.shape}")
        xs.append(data.reshape(-1, 3, 32, 32))
        ys.append(np.asarray(d[label_key], dtype=np.int64))
    class_names: tuple[str, ...] = tuple(str(i) for i in range(classes))
    if (folder / meta).is_file():
        with open(folder / meta, "rb") as f:
            m = pickle.load(f, encoding="bytes")
        class_names = tuple(c.decode() if isinstance(c, bytes) else str(c) for c in m.get(name_key, class_names))
    return Split(torch.from_numpy(np.concatenate(xs)), torch.from_numpy(np.concatenate(ys)), class_names)


def load_split(cfg: Config, split: str, data_dir: str | None = None) -> Split:
    """The ``train`` or ``test`` split of the config's dataset."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    data_dir = data_dir or cfg.data_dir
    if cfg.dataset == Dataset.FMNIST:
        return load_fmnist(split, data_dir)
    return load_cifar(split, data_dir, 10 if cfg.dataset == Dataset.CIFAR10 else 100)


def augment(x: torch.Tensor, gen: torch.Generator, pad: int = 2) -> torch.Tensor:
    """Random crop after zero padding plus random horizontal flip, per image. uint8 in, uint8 out."""
    n, c, h, w = x.shape
    xp = F.pad(x, (pad, pad, pad, pad))
    oy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    ox = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    rows = oy[:, None] + torch.arange(h)  # (N, H)
    cols = ox[:, None] + torch.arange(w)  # (N, W)
    flip = torch.rand(n, generator=gen) < 0.5
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    out = xp[torch.arange(n)[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
    return out.permute(0, 3, 1, 2).contiguous()


def batches(split: Split, batch_size: int, shuffle: bool, epoch: int = 0, seed: int = 0,
            rank: int = 0, world: int = 1, do_augment: bool = False):
    """Yield ``(images uint8, labels)``; with ``world > 1`` each rank gets its own shard."""
    n = len(split)
    if shuffle:
        g = torch.Generator().manual_seed(seed * 1000003 + epoch)
        order = torch.randperm(n, generator=g)
    else:
        order = torch.arange(n)
    order = order[rank::world]
    gen = torch.Generator().manual_seed(seed * 7919 + epoch * 31 + rank)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        x = split.images[idx]
        if do_augment:
            x = augment(x, gen)
        yield x, split.labels[idx]
