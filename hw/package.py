"""Assemble ``BUILD/deploy/``: everything the board needs, self-contained for ``scp -r``.

- ``dietsnn_driver/``, ``notebooks/``, ``README.md``: the repository's ``deploy/``;
- ``dietsnn/``: the numpy base (the spec's integer reference, the network
  file, the dataset reader, stream packing, the DMA register sequence and the
  harness model), so the board checks its scores against the same reference
  functions;
- ``network.snn.npz``, ``stitched.json``, ``report.json`` of the build (and ``weights.bin``, the load stream,
  when weights are in UltraRAM);
- ``data/``: the Fashion-MNIST test IDX files when this machine has them;
- (``dietsnn.bit`` / ``dietsnn.hwh``: the Vivado flow writes them here itself.)

Files are copied by path: nothing of ``deploy/`` is imported here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from dietsnn.fsutil import atomic_folder, check_folder_target

ROOT = Path(__file__).resolve().parent.parent
#: the numpy-only modules of the dietsnn package the driver and notebook import
DIETSNN_FILES = ("dietsnn",)  # the whole numpy base (it imports nothing else of the project)
BUILD_FILES = ("network.snn.npz", "stitched.json", "report.json")
#: entries of an existing deploy folder that later steps wrote and a new package keeps: the bitstream and
#: Vivado's report (``dietsnn bitstream`` removes them itself when the design changed) and the Verilator model
#: of ``dietsnn deploy`` (when this call does not bring a new one)
KEEP = ("dietsnn.bit", "dietsnn.hwh", "build_report.json", "sim_harness")
HARNESS = "sim_harness"


def _copy(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def _weight_load(meta: Path) -> dict | None:
    """``stitched.json``'s ``weight_load`` (the driver checks the whole file; here only what to copy)."""
    try:
        data = json.loads(meta.read_text())
    except (OSError, ValueError):
        return None
    load = data.get("weight_load") if isinstance(data, dict) else None
    return load if isinstance(load, dict) and isinstance(load.get("file"), str) else None


def _is_deploy_folder(path: Path) -> bool:
    return (path / "dietsnn_driver").is_dir() or (path / "network.snn.npz").is_file()


def assemble_deploy(build: str | Path, out: str | Path | None = None, harness: str | Path | None = None) -> list[Path]:
    """Fill ``out`` (default ``BUILD/deploy``) and return the top-level entries written.

    The folder is written beside ``out`` and swapped in whole when complete, so an
    interrupted call leaves the previous package (or none), never a mix.
    ``harness``: a built simulation harness folder, copied in as ``sim_harness``.
    """
    from dietsnn.datasets import FMNIST_DIR, FMNIST_FILES

    build = Path(build)
    out = check_folder_target(Path(out) if out else build / "deploy", "--out")
    if out.is_dir() and any(out.iterdir()) and not _is_deploy_folder(out):
        raise FileExistsError(f"--out {out}: exists and is not a deploy folder (no dietsnn_driver/ nor "
                              "network.snn.npz); it would be replaced: choose a new or empty folder")
    for name in BUILD_FILES:
        if not (build / name).is_file():
            raise FileNotFoundError(f"{build / name}: missing; run `dietsnn compile` and `dietsnn stitch` first")
    keep = tuple(k for k in KEEP if not (harness is not None and k == HARNESS))
    with atomic_folder(out, keep=keep) as tmp:
        for name in BUILD_FILES:
            _copy(build / name, tmp / name)
        load = _weight_load(build / "stitched.json")  # weights in UltraRAM: the driver loads them after every reset
        if load:
            if not (build / load["file"]).is_file():
                raise FileNotFoundError(f"{build / load['file']}: missing; stitched.json lists it as the weight "
                                        f"load of the UltraRAM layers (run `dietsnn stitch {build}` again)")
            _copy(build / load["file"], tmp / load["file"])
        for name in ("dietsnn_driver", "notebooks", "README.md"):
            if (ROOT / "deploy" / name).exists():
                _copy(ROOT / "deploy" / name, tmp / name)
        for name in DIETSNN_FILES:
            _copy(ROOT / name, tmp / name)
        data = Path(FMNIST_DIR)
        for f in FMNIST_FILES["test"]:
            for cand in (data / f, data / f"{f}.gz"):
                if cand.is_file():
                    _copy(cand, tmp / "data" / cand.name)
        if harness is not None:
            _copy(Path(harness), tmp / HARNESS)
    return sorted(out.iterdir())
