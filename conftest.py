"""Session fixtures shared by tests/ and sim/: the shipped fmnist network compiled at 50k fps, stitched with
simulation-sized FIFOs, and its deploy folder (driver, notebook, Verilator model). Built once per run.

The build takes minutes of single-threaded work (FIFO sizing and the harness
are Verilator builds), so when the collected tests need it, it starts at once
in a separate process (``dietsnn compile``, ``stitch``, ``deploy``: the same
commands a user runs) on the machine's other core, and the tests that use it
run last. ``DIETSNN_PREBUILD=0`` builds it in-process when first needed instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dietsnn.testing import fmnist_available
from hw.toolenv import setup_environment

# FINN's settings, Verilator and the HLS headers from the installed packages: `pytest` runs with only the venv
# activated, no `source scripts/env.sh` needed (the subprocesses started below inherit the environment)
setup_environment()

FMNIST_FPS = 50000
FIXTURES = ("fmnist_build", "fmnist_deploy")
_prebuild: dict = {}


def _uses_build(item) -> bool:
    return any(f in getattr(item, "fixturenames", ()) for f in FIXTURES)


def pytest_collection_modifyitems(session, config, items):
    """Tests on the fmnist build run last (stable order otherwise), so its build overlaps the others."""
    items.sort(key=_uses_build)


def pytest_collection_finish(session):
    if os.environ.get("DIETSNN_PREBUILD", "1") == "0" or not fmnist_available():
        return
    if not any(_uses_build(i) for i in session.items) or session.config.option.collectonly:
        return
    from flow.cli import DEFAULT_RUN

    build = Path(tempfile.mkdtemp(prefix="dietsnn_fmnist_build_"))
    log = open(build.parent / f"{build.name}.log", "w")
    script = (f"set -e; dietsnn compile {DEFAULT_RUN} --fps {FMNIST_FPS} --out {build}; "
              f"dietsnn stitch {build} --size-fifos 3; dietsnn deploy {build}")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    _prebuild.update(build=build, log=log,
                     proc=subprocess.Popen(["bash", "-c", script], stdout=log, stderr=subprocess.STDOUT, env=env))


def pytest_sessionfinish(session, exitstatus):
    if "proc" in _prebuild:
        if _prebuild["proc"].poll() is None:
            _prebuild["proc"].kill()
        _prebuild["log"].close()
        shutil.rmtree(_prebuild["build"], ignore_errors=True)
        Path(_prebuild["log"].name).unlink(missing_ok=True)


def _prebuilt() -> Path | None:
    if "proc" not in _prebuild:
        return None
    proc = _prebuild["proc"]
    if proc.wait() != 0:
        _prebuild["log"].flush()
        tail = Path(_prebuild["log"].name).read_text()[-4000:]
        raise RuntimeError(f"building the fmnist accelerator failed (exit {proc.returncode}):\n{tail}")
    return _prebuild["build"]


@pytest.fixture(scope="session")
def fmnist_build(tmp_path_factory):
    """``(build folder, compile report)`` of the shipped fmnist network at 50k fps, stitched."""
    if not fmnist_available():
        pytest.skip("needs Debian's dataset-fashion-mnist")
    build = _prebuilt()
    if build is None:
        from flow.cli import DEFAULT_RUN
        from hw.compile import CompileOptions, compile_network
        from flow.stitch import stitch_build

        build = tmp_path_factory.mktemp("fmnist_build")
        compile_network(DEFAULT_RUN / "network.snn.npz", build, CompileOptions(fps=FMNIST_FPS))
        stitch_build(build, size_frames=3)
    return build, json.loads((build / "report.json").read_text())


@pytest.fixture(scope="session")
def fmnist_deploy(fmnist_build):
    """``BUILD/deploy`` as `dietsnn deploy` writes it (with the sim transport's Verilator model)."""
    build, _ = fmnist_build
    if not (build / "deploy" / "sim_harness" / "harness.json").is_file():
        from flow.cli import main

        assert main(["deploy", str(build)]) == 0
    return build / "deploy"


@pytest.fixture(scope="session")
def fmnist_test_images():
    """The first 300 Fashion-MNIST test images and labels (uint8 (N, 1, 28, 28), int64 (N,))."""
    if not fmnist_available():
        pytest.skip("needs Debian's dataset-fashion-mnist")
    from dietsnn.datasets import load_fmnist_arrays

    images, labels = load_fmnist_arrays("test")
    return images[:300], labels[:300]
