"""Session fixtures shared by tests/ and sim/: the shipped fmnist network compiled at 50k fps, stitched with
simulation-sized FIFOs, and its deploy folder (driver, notebook, Verilator model). Built once per run.

The build takes minutes of single-threaded work (FIFO sizing and the harness
are Verilator builds), so when the collected tests need it, it starts at once
in a separate process (``dietsnn compile``, ``stitch``, ``deploy``: the same
commands a user runs) on the machine's other core, and the tests that use it
run last. ``DIETSNN_PREBUILD=0`` builds it in-process when first needed instead.

Under pytest-xdist (``make test`` runs ``-n 2 --dist loadgroup``) the
controller starts that one build before the workers exist and names it to
them in ``DIETSNN_FMNIST_PREBUILD``; every test file is one group (a file's
block models are built once, by one worker), and the tests on the fmnist
build are one group too, run by one worker after its other files.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from dietsnn.testing import fmnist_available
from hw.toolenv import setup_environment

# FINN's settings, Verilator and the HLS headers from the installed packages: `pytest` runs with only the venv
# activated, no `source scripts/env.sh` needed (the subprocesses started below inherit the environment)
setup_environment()

#: the shipped default build (``dietsnn compile``'s defaults: 100k fps, constant-weight conv1 and conv2). Until
#: the constant-weight trees were written bit-sliced (hw/cmvu_vectors.py) the fixture kept the generic units:
#: stitching took 610 s and the deploy harness about 7 min (2 loaded cores, session 4); now the harness of
#: this build compiles in about 70 s and simulates 3x faster (bench/results/sim_speed.json)
FMNIST_FPS = 100000
FMNIST_VARIANTS = "auto"
FIXTURES = ("fmnist_build", "fmnist_deploy")
_prebuild: dict = {}


def _uses_build(item) -> bool:
    return any(f in getattr(item, "fixturenames", ()) for f in FIXTURES)


PREBUILD_ENV = "DIETSNN_FMNIST_PREBUILD"  #: the controller's prebuild folder, for xdist workers
PREBUILD_WAIT_S = 3600  #: how long a worker waits for it


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def _is_controller(config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not _is_worker(config)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(session, config, items):
    """Tests on the fmnist build run last (stable order otherwise), so its build overlaps the others; each test
    file is one xdist group, the tests on the fmnist build another."""
    items.sort(key=_uses_build)
    for item in items:
        group = "fmnist_build" if _uses_build(item) else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


def _start_prebuild() -> None:
    from flow.cli import DEFAULT_RUN

    build = Path(tempfile.mkdtemp(prefix="dietsnn_fmnist_build_"))
    log = open(build.parent / f"{build.name}.log", "w")
    status = build.parent / f"{build.name}.status"
    script = (f"( set -e; dietsnn compile {DEFAULT_RUN} --fps {FMNIST_FPS} --variants {FMNIST_VARIANTS} "
              f"--out {build}; "
              f"dietsnn stitch {build} --size-fifos 3; dietsnn deploy {build} ); "
              f"echo $? > {status}.tmp && mv {status}.tmp {status}")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    _prebuild.update(build=build, log=log, status=status,
                     proc=subprocess.Popen(["bash", "-c", script], stdout=log, stderr=subprocess.STDOUT, env=env,
                                          start_new_session=True))  # its own process group: killed as one


def _prebuild_wanted() -> bool:
    return os.environ.get("DIETSNN_PREBUILD", "1") != "0" and fmnist_available()


def pytest_configure(config):
    """The xdist controller collects nothing, so it starts the build whenever it may be needed (the workers
    inherit its folder in the environment); a run that turns out not to need it kills it at the end."""
    if _is_controller(config) and _prebuild_wanted() and not config.option.collectonly:
        _start_prebuild()
        os.environ[PREBUILD_ENV] = str(_prebuild["build"])


def pytest_collection_finish(session):
    if _is_worker(session.config) or _is_controller(session.config) or not _prebuild_wanted():
        return
    if not any(_uses_build(i) for i in session.items) or session.config.option.collectonly:
        return
    _start_prebuild()


def pytest_sessionfinish(session, exitstatus):
    if "proc" in _prebuild:
        if _prebuild["proc"].poll() is None:
            os.killpg(_prebuild["proc"].pid, signal.SIGKILL)
        _prebuild["log"].close()
        shutil.rmtree(_prebuild["build"], ignore_errors=True)
        Path(_prebuild["log"].name).unlink(missing_ok=True)
        _prebuild["status"].unlink(missing_ok=True)


def _prebuilt() -> Path | None:
    """The prebuilt folder once its build has finished (this process's, or the xdist controller's), else None."""
    if "proc" in _prebuild:
        build, status = _prebuild["build"], _prebuild["status"]
        _prebuild["proc"].wait()
        _prebuild["log"].flush()
    elif os.environ.get(PREBUILD_ENV):
        build = Path(os.environ[PREBUILD_ENV])
        status = build.parent / f"{build.name}.status"
        start = time.monotonic()
        while not status.is_file():  # the controller kills the build only after the workers are done
            if time.monotonic() - start > PREBUILD_WAIT_S:
                raise RuntimeError(f"the fmnist accelerator build in {build} (started by the xdist controller) gave "
                                   f"no status in {PREBUILD_WAIT_S} s; its log: {build.parent / (build.name + '.log')}")
            time.sleep(2)
    else:
        return None
    code = status.read_text().strip()
    if code != "0":
        log = build.parent / f"{build.name}.log"
        tail = log.read_text()[-4000:] if log.is_file() else f"(no {log})"
        raise RuntimeError(f"building the fmnist accelerator in {build} failed (exit {code}):\n{tail}")
    return build


@pytest.fixture(scope="session")
def fmnist_build(tmp_path_factory):
    """``(build folder, compile report)`` of the shipped fmnist network at 100k fps (the defaults), stitched."""
    if not fmnist_available():
        pytest.skip("needs Debian's dataset-fashion-mnist")
    build = _prebuilt()
    if build is None:
        from flow.cli import DEFAULT_RUN
        from hw.compile import CompileOptions, compile_network
        from flow.stitch import stitch_build

        build = tmp_path_factory.mktemp("fmnist_build")
        compile_network(DEFAULT_RUN / "network.snn.npz", build, CompileOptions(fps=FMNIST_FPS,
                                                                                       variants=FMNIST_VARIANTS))
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
