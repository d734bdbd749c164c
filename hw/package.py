"""Assemble ``BUILD/deploy/``: everything the board needs, self-contained for ``scp -r``.

- ``dietsnn_driver/``, ``notebooks/``, ``README.md``: the repository's ``deploy/``;
- ``dietsnn/``: the numpy base (the spec's integer reference, the network
  file, the dataset reader, stream packing, the DMA register sequence and the
  harness model), so the board checks its scores against the same reference
  functions;
- ``network.snn.npz``, ``stitched.json``, ``report.json`` of the build;
- ``data/``: the Fashion-MNIST test IDX files when this machine has them;
- (``dietsnn.bit`` / ``dietsnn.hwh``: the Vivado flow writes them here itself.)

Files are copied by path: nothing of ``deploy/`` is imported here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the numpy-only modules of the dietsnn package the driver and notebook import
DIETSNN_FILES = ("dietsnn",)  # the whole numpy base (it imports nothing else of the project)
BUILD_FILES = ("network.snn.npz", "stitched.json", "report.json")


def _copy(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def assemble_deploy(build: str | Path, out: str | Path | None = None) -> list[Path]:
    """Fill ``out`` (default ``BUILD/deploy``) and return the top-level entries written."""
    from dietsnn.datasets import FMNIST_DIR, FMNIST_FILES

    build = Path(build)
    out = Path(out) if out else build / "deploy"
    out.mkdir(parents=True, exist_ok=True)
    for name in BUILD_FILES:
        if not (build / name).is_file():
            raise FileNotFoundError(f"{build / name}: missing; run `dietsnn compile` and `dietsnn stitch` first")
        _copy(build / name, out / name)
    for name in ("dietsnn_driver", "notebooks", "README.md"):
        if (ROOT / "deploy" / name).exists():
            _copy(ROOT / "deploy" / name, out / name)
    for name in DIETSNN_FILES:
        _copy(ROOT / name, out / name)
    data = Path(FMNIST_DIR)
    for f in FMNIST_FILES["test"]:
        for cand in (data / f, data / f"{f}.gz"):
            if cand.is_file():
                _copy(cand, out / "data" / cand.name)
    return sorted(out.iterdir())
