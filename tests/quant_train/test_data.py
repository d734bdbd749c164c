"""Dataset loaders: IDX, CIFAR in torchvision's format (tiny files made here), and clear errors."""

import gzip
import pickle

import numpy as np
import pytest
import torch

from dietsnn.testing import fmnist_available
from quant_train.config import load_config
from quant_train.data import DatasetNotFound, augment, batches, load_split, read_idx


def _write_cifar10(root, n_per_batch=4):
    d = root / "cifar-10-batches-py"
    d.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(d / name, "wb") as f:
            pickle.dump({b"data": rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8),
                         b"labels": list(rng.integers(0, 10, n_per_batch))}, f)
    with open(d / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [f"class{i}".encode() for i in range(10)]}, f)
    return d


def test_cifar10_loader_reads_torchvision_format(tmp_path):
    d = _write_cifar10(tmp_path)
    cfg = load_config("cifar10_vgg11")
    train = load_split(cfg, "train", str(tmp_path))
    test = load_split(cfg, "test", str(tmp_path))
    assert train.images.shape == (20, 3, 32, 32) and train.images.dtype == torch.uint8
    assert test.images.shape == (4, 3, 32, 32)
    assert train.classes[3] == "class3"
    with open(d / "test_batch", "rb") as f:
        raw = pickle.load(f)
    # channel-major rows: the first 1024 bytes are the red plane
    assert np.array_equal(test.images[0, 0].numpy().ravel(), raw[b"data"][0, :1024])


def test_cifar100_loader_uses_fine_labels(tmp_path):
    d = tmp_path / "cifar-100-python"
    d.mkdir()
    for name in ("train", "test"):
        with open(d / name, "wb") as f:
            pickle.dump({b"data": np.zeros((3, 3072), np.uint8), b"fine_labels": [5, 99, 0],
                         b"coarse_labels": [1, 2, 3]}, f)
    cfg = load_config("cifar10_vgg11").replace(dataset="cifar100")
    assert load_split(cfg, "test", str(tmp_path)).labels.tolist() == [5, 99, 0]


def test_missing_cifar_says_where_it_looked(tmp_path):
    cfg = load_config("cifar10_vgg16")
    with pytest.raises(DatasetNotFound, match=r"CIFAR-10 train split not found: looked for .*data_batch_1.* in .*"):
        load_split(cfg, "train", str(tmp_path))
    with pytest.raises(DatasetNotFound, match=r"CIFAR-10 needs --data-dir"):
        load_split(cfg, "train")


def test_missing_fmnist_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetNotFound, match=r"apt-get install dataset-fashion-mnist"):
        load_split(load_config("fmnist"), "test", str(tmp_path))


def test_idx_parser_and_gz(tmp_path):
    body = np.arange(24, dtype=np.uint8)
    raw = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + (4).to_bytes(4, "big") + body.tobytes()
    assert read_idx(raw, "x").shape == (2, 3, 4)
    with pytest.raises(ValueError, match=r"^x: not an unsigned-byte IDX file"):
        read_idx(b"\x00\x00\x0d\x01" + raw[4:], "x")
    with pytest.raises(ValueError, match=r"^x: IDX header says \[2, 3, 4\] but holds 23 bytes"):
        read_idx(raw[:-1], "x")
    lbl = bytes([0, 0, 8, 1]) + (2).to_bytes(4, "big") + bytes([3, 7])
    img = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + bytes(2 * 784)
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(img)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(lbl)  # plain files work too
    s = load_split(load_config("fmnist"), "test", str(tmp_path))
    assert s.images.shape == (2, 1, 28, 28) and s.labels.tolist() == [3, 7]


@pytest.mark.skipif(not fmnist_available(), reason="Debian's dataset-fashion-mnist is not installed")
def test_real_fmnist():
    s = load_split(load_config("fmnist"), "test")
    assert s.images.shape == (10000, 1, 28, 28) and s.labels.bincount().tolist() == [1000] * 10


def test_augment_keeps_shape_and_pixels():
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.uint8).reshape(2, 1, 6, 6)
    y = augment(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.dtype == torch.uint8
    assert set(y.unique().tolist()) <= set(x.unique().tolist()) | {0}


def test_batches_shard_across_ranks_without_overlap():
    s = load_split.__globals__["Split"](torch.zeros(10, 1, 2, 2, dtype=torch.uint8), torch.arange(10), ("a",))
    seen = [set(y.tolist()) for r in range(2) for _, y in batches(s, 3, True, epoch=1, rank=r, world=2)]
    flat = [v for part in seen for v in part]
    assert sorted(flat) == list(range(10))
