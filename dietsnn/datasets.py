"""Fashion-MNIST from IDX files in plain numpy (training, the tests and the board notebook share it).

By default the files are where Debian's ``dataset-fashion-mnist`` puts them;
``.gz`` or uncompressed.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

FMNIST_DIR = "/usr/share/datasets/fashion-mnist"
FMNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FMNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


class DatasetNotFound(FileNotFoundError):
    """A dataset folder or file is missing; the message says where it looked and how to get it."""


def open_maybe_gz(path: Path) -> bytes:
    for p in (path, path.with_name(path.name + ".gz")):
        if p.is_file():
            opener = gzip.open if p.suffix == ".gz" else open
            with opener(p, "rb") as f:
                return f.read()
    raise DatasetNotFound(path)


def read_idx(data: bytes, source: str) -> np.ndarray:
    """Parse an IDX file (unsigned-byte data only)."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{source}: not an unsigned-byte IDX file (bad magic {data[:4]!r})")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{source}: IDX header says {dims} but holds {body.size} bytes")
    return body.reshape(dims)


def load_fmnist_arrays(split: str, data_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(images uint8 (N, 1, 28, 28), labels int64 (N,))`` of the ``train`` or ``test`` split."""
    if split not in FMNIST_FILES:
        raise ValueError(f"split must be one of {sorted(FMNIST_FILES)}, not {split!r}")
    root = Path(data_dir or FMNIST_DIR)
    img_name, lbl_name = FMNIST_FILES[split]
    try:
        images = read_idx(open_maybe_gz(root / img_name), str(root / img_name))
        labels = read_idx(open_maybe_gz(root / lbl_name), str(root / lbl_name))
    except DatasetNotFound as e:
        raise DatasetNotFound(
            f"Fashion-MNIST {split} split not found: looked for {e.args[0]}[.gz] in {root}. "
            "Install it with `apt-get install dataset-fashion-mnist` (files land in "
            f"{FMNIST_DIR}) or pass the folder with the IDX files.") from None
    if len(images) != len(labels):
        raise ValueError(f"{root}: {len(images)} images but {len(labels)} labels")
    return images[:, None].copy(), labels.astype(np.int64)
