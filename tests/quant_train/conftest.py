"""Tiny CIFAR-10/100 folders in torchvision's format (``cifar-10-batches-py``, ``cifar-100-python``)."""

import pickle

import numpy as np
import pytest


def write_cifar10(root, n_per_batch=4, seed=0):
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(d / name, "wb") as f:
            pickle.dump({b"data": rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8),
                         b"labels": list(rng.integers(0, 10, n_per_batch))}, f)
    with open(d / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [f"class{i}".encode() for i in range(10)]}, f)
    return d


def write_cifar100(root, n=8, seed=0):
    d = root / "cifar-100-python"
    d.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for name in ("train", "test"):
        with open(d / name, "wb") as f:
            pickle.dump({b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                         b"fine_labels": list(rng.integers(0, 100, n)), b"coarse_labels": list(rng.integers(0, 20, n))},
                        f)
    with open(d / "meta", "wb") as f:
        pickle.dump({b"fine_label_names": [f"fine{i}".encode() for i in range(100)]}, f)
    return d


@pytest.fixture(scope="session")
def cifar_root(tmp_path_factory):
    """A folder holding both tiny datasets, as a user's torchvision root would."""
    root = tmp_path_factory.mktemp("cifar")
    write_cifar10(root)
    write_cifar100(root)
    return root
