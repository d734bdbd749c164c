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
from dietsnn.axi_dma import S2MM_DMASR, S2MM_LENGTH, SR_IDLE, SR_INT_ERR
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
    assert sim["clock_source"] == "target of the build; no bitstream report (report.json)"
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


def _start(acc, frames: np.ndarray, out_bytes: int):
    """One batch through the DMA registers directly (no driver, no recovery); returns the receive buffer. The
    simulated DMA has finished the transfer when this returns."""
    inbuf = acc.transport.allocate(frames.shape, np.uint8)
    outbuf = acc.transport.allocate((out_bytes,), np.uint8)
    inbuf[:] = frames
    acc.transport.dma.start(inbuf.physical_address, frames.size, outbuf.physical_address, out_bytes)
    return outbuf


def test_receive_buffer_too_small_leaves_the_accelerator_out_of_step_until_it_is_reset(acc, fmnist_test_images):
    """PG021's DMAIntErr when the S2MM buffer is shorter than the output; the outputs it did not take stay in the
    accelerator (the simulation keeps its state across transfers, as the hardware), so after resetting the DMA
    alone the next batch receives the broken batch's last frame; the accelerator's reset (GPIO) cures it."""
    sim = acc.transport.sim_dma
    images = fmnist_test_images[0][:4]
    golden = run_network(acc.network, images).scores
    frames = acc.pack(images)
    _start(acc, frames[:2], acc.out_frame_bytes)
    with pytest.raises(TransportError, match=r"S2MM channel error: DMAIntErr"):
        acc.transport.dma.wait()
    assert sim.read(S2MM_DMASR) & SR_INT_ERR
    acc.transport.dma.reset()  # the DMA only
    out = _start(acc, frames[2:4], 2 * acc.out_frame_bytes)
    assert sim.read(S2MM_DMASR) & SR_IDLE and sim.read(S2MM_LENGTH) == acc.out_frame_bytes, \
        "the old batch's TLAST ended the new receive transfer after one frame"
    assert np.array_equal(acc.unpack(np.array(out[:acc.out_frame_bytes])[None]), golden[1:2]), \
        "what came back is frame 2 of the broken batch"
    acc.transport.recover()  # accelerator held in reset while the DMA resets
    assert np.array_equal(acc.scores(images), golden)
    assert sim.history == [], "clean again: back to the fast path"


def test_the_driver_recovers_from_an_injected_dma_error(acc, fmnist_test_images):
    """A memory slave error cuts the send transfer in the middle of the second frame (MM2S DMASlvErr): the driver
    resets the accelerator and the DMA and says so; the next call gives the reference's scores, and the
    simulation ran the cut frame, the reset and the new batch in one piece of RTL time."""
    images = fmnist_test_images[0][:6]
    golden = run_network(acc.network, images).scores
    acc.transport.sim_dma.inject_mm2s_slave_error(after_bytes=acc.in_frame_bytes + acc.in_frame_bytes // 2)
    with pytest.raises(TransportError, match=r"AXI DMA MM2S channel error: DMASlvErr \(memory slave error\) .*; the "
                                             r"accelerator and the DMA were reset, the next call starts clean"):
        acc.scores(images[:3])
    history = acc.transport.sim_dma.history
    assert len(history) == 1 and history[0].data.size == acc.in_frame_bytes + acc.in_frame_bytes // 2
    assert np.array_equal(acc.scores(images[3:6]), golden[3:6])
    assert acc.transport.sim_dma.history == []
    assert np.array_equal(acc.scores(images[:2]), golden[:2])


def test_a_transfer_of_part_of_a_frame_times_out_and_recover_cures_it(acc, fmnist_test_images):
    """Not whole frames: the accelerator waits for the rest of the frame, the receive channel never completes
    (the driver's timeout); after the reset, whole batches come out right."""
    images = fmnist_test_images[0][:2]
    frames = acc.pack(images)
    _start(acc, frames[0, : acc.in_frame_bytes // 2], acc.out_frame_bytes)
    with pytest.raises(TransportError, match=r"AXI DMA S2MM transfer did not complete in 0\.5 s"):
        acc.transport.dma.wait()
    acc.transport.recover()
    assert np.array_equal(acc.scores(images), run_network(acc.network, images).scores)


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
