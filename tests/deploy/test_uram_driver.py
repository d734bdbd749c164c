"""Weights in UltraRAM through the driver: a small network compiled with ``--weights-in uram``, stitched (FIFOs
sized by the chain testbench, which sends the load stream first), deployed, and run through the ``sim``
transport, whose DMA model carries the driver's weight load to the Verilator model of the RTL."""

import shutil

import numpy as np
import pytest

from deploy.dietsnn_driver import Accelerator, DriverError, TransportError
from dietsnn.harness import Harness
from dietsnn.ref import run_network
from dietsnn.testing import random_network
from flow.cli import main
from flow.stitch import stitch_build
from hw.compile import CompileOptions, compile_network


@pytest.fixture(scope="module")
def uram_deploy(tmp_path_factory):
    rng = np.random.default_rng(5)
    net = random_network(rng)
    root = tmp_path_factory.mktemp("uram")
    net.save(root / "net.snn.npz")
    build = root / "build"
    rep = compile_network(root / "net.snn.npz", build, CompileOptions(fps=20000, variants="generic", weights_in="uram"))
    assert rep["weight_memory"]["uram_layers"] == ["conv2", "fc1"]
    stitch_build(build, size_frames=2)
    assert main(["deploy", str(build)]) == 0
    return net, build / "deploy", rng.integers(0, 256, (5, 1, 8, 8)).astype(np.uint8)


def test_driver_loads_the_weights_and_scores_equal_golden(uram_deploy):
    net, deploy, images = uram_deploy
    assert (deploy / "weights.bin").is_file()
    acc = Accelerator(deploy, transport="sim", batch_size=3)
    assert acc.transport.sim_dma.preload, "the driver did not send the weight load after its reset"
    golden = run_network(net, images).scores
    assert np.array_equal(acc.scores(images), golden)
    acc.transport.recover()  # a reset clears the units' "loaded" flags: the driver loads again
    assert np.array_equal(acc.scores(images[:2]), golden[:2])


def test_without_the_load_the_rtl_computes_nothing(uram_deploy):
    """The load is not optional: frames sent without it are taken as weights, and no score comes out."""
    _, deploy, images = uram_deploy
    h = Harness(deploy / "sim_harness")
    acc = Accelerator(deploy, transport="sim")
    with pytest.raises(TransportError, match=r"stalled"):
        h.run(acc.pack(images), max_stall=20_000)


def test_missing_or_foreign_weights_file_is_named(uram_deploy, tmp_path):
    _, deploy, _ = uram_deploy
    d = tmp_path / "deploy"
    shutil.copytree(deploy, d, ignore=shutil.ignore_patterns("data"))
    data = (d / "weights.bin").read_bytes()
    (d / "weights.bin").write_bytes(bytes([data[0] ^ 1]) + data[1:])
    with pytest.raises(DriverError, match=r"weights\.bin: SHA-256 .* differs from stitched\.json's"):
        Accelerator(d, transport="sim")
    (d / "weights.bin").unlink()
    with pytest.raises(DriverError, match=r"weights\.bin: missing; this accelerator keeps weights of 2 layers in "
                                          r"UltraRAM"):
        Accelerator(d, transport="sim")
