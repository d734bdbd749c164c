"""Session fixtures shared by tests/ and sim/: the shipped fmnist network compiled at 50k fps, stitched with
simulation-sized FIFOs, and its deploy folder (driver, notebook, Verilator model). Built once per run."""

from __future__ import annotations

import pytest

from dietsnn.testing import fmnist_available

FMNIST_FPS = 50000


@pytest.fixture(scope="session")
def fmnist_build(tmp_path_factory):
    """``(build folder, compile report)`` of the shipped fmnist network at 50k fps, stitched."""
    if not fmnist_available():
        pytest.skip("needs Debian's dataset-fashion-mnist")
    from dietsnn.cli import DEFAULT_RUN
    from hw.compile import CompileOptions, compile_network
    from sim.accelerator import stitch_build

    build = tmp_path_factory.mktemp("fmnist_build")
    report = compile_network(DEFAULT_RUN / "network.snn.npz", build, CompileOptions(fps=FMNIST_FPS))
    stitch_build(build, size_frames=3)
    return build, report


@pytest.fixture(scope="session")
def fmnist_deploy(fmnist_build):
    """``BUILD/deploy`` as `dietsnn deploy` writes it (with the sim transport's Verilator model)."""
    from dietsnn.cli import main

    build, _ = fmnist_build
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
