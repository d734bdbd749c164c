"""The PYNQ driver through its ``sim`` transport: the stitched fmnist RTL under Verilator behind the AXI DMA
register model. Scores equal the golden, batching, spike counts, and a clear error for each bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from deploy.dietsnn_driver import Accelerator, InputError, NetworkMismatchError, TransportError
from dietsnn.axi_dma import S2MM_DMASR, SR_INT_ERR
from dietsnn.ref import run_network


@pytest.fixture(scope="module")
def acc(fmnist_deploy):
    return Accelerator(fmnist_deploy, transport="sim", batch_size=30)


def test_scores_equal_golden_on_100_real_images_with_a_batch_size_that_does_not_divide(acc, fmnist_test_images):
    images = fmnist_test_images[0][:100]
    golden = run_network(acc.network, images)
    scores = acc.scores(images)  # batches of 30, 30, 30, 10
    assert scores.dtype == np.int64 and scores.shape == (100, 10)
    assert np.array_equal(scores, golden.scores)
    # the spikes that crossed each layer's output stream in the RTL are the reference's
    assert acc.observed_spikes() == golden.spike_counts
    assert np.array_equal(acc.predict(images[:7]), golden.pred[:7])


def test_auto_transport_is_sim_off_the_board(fmnist_deploy):
    assert Accelerator(fmnist_deploy).transport.name == "sim"


def test_throughput_test_reports_simulated_frame_rate(acc):
    perf = acc.throughput_test(frames=12)
    sim = perf["simulated"]
    assert perf["transport"] == "sim" and perf["frames"] == 12
    assert sim["clock_mhz"] == 200.0 and sim["latency_cycles"] > sim["cycles_per_frame"] > 0
    assert sim["fps_at_clock"] == pytest.approx(200e6 / sim["cycles_per_frame"])


@pytest.mark.parametrize("bad, match", [
    ([[0] * 28] * 28, r"numpy array of shape \(N, 1, 28, 28\), not list"),
    (np.zeros((2, 28, 28), np.uint8), r"shape \(N, 1, 28, 28\), not \(2, 28, 28\)"),
    (np.zeros((1, 28, 28), np.uint8), r"one image: pass images\[None\]"),
    (np.zeros((2, 1, 28, 27), np.uint8), r"not \(2, 1, 28, 27\)"),
    (np.zeros((0, 1, 28, 28), np.uint8), r"images is empty"),
    (np.zeros((2, 1, 28, 28), np.float32), r"must be integers .* not float32; convert explicitly"),
    (np.full((2, 1, 28, 28), 256, np.int16), r"pixel values 256..256 are outside .* 0..255"),
    (np.full((2, 1, 28, 28), -1, np.int32), r"pixel values -1..-1 are outside"),
])
def test_each_bad_input_raises_a_clear_error(acc, bad, match):
    with pytest.raises(InputError, match=match):
        acc.scores(bad)


@pytest.mark.parametrize("batch", [0, -3, 2.5, True, "8"])
def test_bad_batch_size(fmnist_deploy, batch):
    with pytest.raises(InputError, match="batch_size must be a positive integer"):
        Accelerator(fmnist_deploy, transport="sim", batch_size=batch)


def test_unknown_transport(fmnist_deploy):
    with pytest.raises(TransportError, match="'auto', 'pynq' or 'sim', not 'usb'"):
        Accelerator(fmnist_deploy, transport="usb")


def test_network_file_of_another_network_is_refused(fmnist_deploy, tmp_path, rng):
    from dietsnn.testing import random_network

    d = tmp_path / "deploy"
    shutil.copytree(fmnist_deploy, d, ignore=shutil.ignore_patterns("data"))
    random_network(rng, in_shape=(1, 28, 28)).save(d / "network.snn.npz")
    with pytest.raises(NetworkMismatchError, match=r"stitched.json was stitched for network 0x[0-9a-f]{8}, but "):
        Accelerator(d, transport="sim")


def test_hardware_built_for_another_network_is_refused(fmnist_deploy, tmp_path):
    d = tmp_path / "deploy"
    shutil.copytree(fmnist_deploy, d, ignore=shutil.ignore_patterns("data"))
    info = json.loads((d / "sim_harness" / "harness.json").read_text())
    info["parameters"]["NETWORK_ID"] ^= 1  # the model of a bitfile built from another network file
    (d / "sim_harness" / "harness.json").write_text(json.dumps(info))
    with pytest.raises(NetworkMismatchError, match="the sim accelerator carries network .* built for another network"):
        Accelerator(d, transport="sim")


def test_missing_deploy_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"network.snn.npz: missing"):
        Accelerator(tmp_path, transport="sim")


def test_receive_buffer_too_small_is_a_dma_error(acc, fmnist_test_images):
    """The DMA register path both transports share: an S2MM transfer shorter than the output is PG021's
    DMAIntErr, reported by name."""
    frames = acc.pack(fmnist_test_images[0][:2])
    inbuf = acc.transport.allocate(frames.shape, np.uint8)
    outbuf = acc.transport.allocate((2, acc.out_frame_bytes), np.uint8)
    inbuf[:] = frames
    acc.transport.dma.start(inbuf.physical_address, frames.size, outbuf.physical_address, acc.out_frame_bytes)
    with pytest.raises(TransportError, match=r"S2MM channel error: DMAIntErr"):
        acc.transport.dma.wait()
    assert acc.transport.sim_dma.read(S2MM_DMASR) & SR_INT_ERR
    acc.transport.dma.reset()
    assert np.array_equal(acc.scores(fmnist_test_images[0][:1]),
                          run_network(acc.network, fmnist_test_images[0][:1]).scores)


def test_partial_frame_transfer_is_refused(acc):
    buf = acc.transport.allocate((acc.in_frame_bytes + 1,), np.uint8)
    out = acc.transport.allocate((acc.out_frame_bytes,), np.uint8)
    with pytest.raises(TransportError, match="not whole frames"):
        acc.transport.dma.start(buf.physical_address, buf.size, out.physical_address, out.size)


def test_deploy_folder_runs_without_torch_finn_or_brevitas(fmnist_deploy, fmnist_test_images, tmp_path):
    """What the board runs: the deploy folder alone, with numpy; no heavy framework gets imported."""
    np.save(tmp_path / "x.npy", fmnist_test_images[0][:3])
    code = f"""
import sys
sys.path.insert(0, {str(fmnist_deploy)!r})
import numpy as np
from dietsnn_driver import Accelerator
import dietsnn
assert dietsnn.__file__.startswith({str(fmnist_deploy)!r}), dietsnn.__file__
acc = Accelerator({str(fmnist_deploy)!r}, transport="sim")
print(acc.predict(np.load({str(tmp_path / 'x.npy')!r})).tolist())
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "brevitas", "finn", "qonnx", "onnx", "hw",
                                                           "sim", "quant_train"))
assert not bad, bad
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    from dietsnn.netfile import IntNetwork

    net = IntNetwork.load(fmnist_deploy / "network.snn.npz")
    assert res.stdout.strip() == str(run_network(net, fmnist_test_images[0][:3]).pred.tolist())


@pytest.mark.board
def test_pynq_transport_on_the_board(fmnist_test_images):
    """Runs only on a PYNQ board with a deploy folder in ~/deploy (bitfile included): the real DMA."""
    from pathlib import Path

    acc = Accelerator(Path.home() / "deploy", transport="pynq")
    images = fmnist_test_images[0][:100]
    assert np.array_equal(acc.scores(images), run_network(acc.network, images).scores)
