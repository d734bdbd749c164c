"""The stitched accelerator in RTL on real images: every score equals the golden, under stalls too,
its measured cycles per frame, and a second, differently shaped network end to end."""

import numpy as np
import pytest

from dietsnn.testing import fmnist_available, random_network
from hw.compile import CompileOptions, compile_network
from flow.stitch import stitch_build
from sim.rtl_predict import simulate_images

pytestmark = pytest.mark.skipif(not fmnist_available(), reason="needs Debian's dataset-fashion-mnist")


def build_design(net_path, build, fps):
    report = compile_network(net_path, build, CompileOptions(fps=fps))
    stitch_build(build, size_frames=3)
    return report


@pytest.fixture(scope="module")
def test_images(fmnist_test_images):
    return fmnist_test_images[0]


def test_fmnist_300_real_images_equal_golden_and_meet_the_folding_bound(fmnist_build, fmnist_deploy, test_images):
    """The deployable accelerator (the sim transport's Verilator harness of ``dietsnn_accel``, as `dietsnn deploy`
    built it) on 300 real images in three DMA batches: every score equals the golden, and a source that never
    pauses gets one frame per folding bound (the FIFOs are sized for it)."""
    from dietsnn.ref import run_network
    from flow.cli import DEFAULT_RUN
    from dietsnn.netfile import IntNetwork
    from dietsnn.harness import steady_cycles_per_frame
    from sim.harness import run_images

    build, report = fmnist_build
    scores, run = run_images(fmnist_deploy / "sim_harness", test_images, batch=100)
    golden = run_network(IntNetwork.load(DEFAULT_RUN / "network.snn.npz"), test_images)
    assert np.array_equal(scores, golden.scores)
    steady = steady_cycles_per_frame(run.frame_done)
    bound = report["max_cycles"]
    assert steady <= 1.02 * bound, (steady, bound)
    assert report["clock_mhz"] * 1e6 / steady >= report["target_fps"] == 100000


def test_fmnist_all_10000_test_images_equal_golden(fmnist_build, fmnist_deploy):
    """The RTL level on the whole test set, in every ``make test`` (alone: ``make test-rtl-full``; about 3
    minutes of simulation on 2 cores, bench/results/sim_speed.json): the deployable accelerator's scores equal
    the golden on all 10,000 images."""
    from dietsnn.datasets import load_fmnist_arrays
    from dietsnn.netfile import IntNetwork
    from dietsnn.ref import run_network
    from flow.cli import DEFAULT_RUN
    from sim.harness import run_images_parallel

    images, _ = load_fmnist_arrays("test")
    assert len(images) == 10000
    scores, _ = run_images_parallel(fmnist_deploy / "sim_harness", images, batch=100)
    golden = run_network(IntNetwork.load(DEFAULT_RUN / "network.snn.npz"), images).scores
    bad = np.flatnonzero((scores != golden).any(axis=1))
    assert len(bad) == 0, f"{len(bad)} of 10,000 images differ from the golden, the first: {bad[:10].tolist()}"


def test_random_backpressure_and_gaps_keep_scores_in_order(fmnist_build, test_images, tmp_path):
    """The cocotb testbench of the stitched chain (every score checked) under random input gaps and output
    backpressure."""
    build, _ = fmnist_build
    simulate_images(build, test_images[:20], tmp_path, idle=0.3, backpressure=0.4)


def test_reset_in_the_middle_of_a_frame(fmnist_build, test_images, tmp_path):
    build, _ = fmnist_build
    simulate_images(build, test_images[:2], tmp_path, testcase="reset_mid_frame_then_clean_frames")


def test_second_network_other_T_weight_width_no_pooling(tmp_path):
    rng = np.random.default_rng(5)
    net = random_network(rng, T=8, weight_bits=6, pool=False, in_shape=(2, 10, 10), kernel=3, stride=2, pad=1)
    path = net.save(tmp_path / "second.snn.npz")
    report = build_design(path, tmp_path / "build", 1e5)
    assert report["T"] == 8
    images = rng.integers(0, 256, (12, 2, 10, 10)).astype(np.uint8)
    simulate_images(tmp_path / "build", images, tmp_path / "sim")
    # the same RTL through `dietsnn predict --level rtl` (the stand-alone Verilator harness of dietsnn_accel)
    from flow.predict import predict_scores
    from dietsnn.ref import run_network

    scores, pred = predict_scores(net, images, "rtl", str(tmp_path / "build"))
    golden = run_network(net, images)
    assert np.array_equal(scores, golden.scores) and np.array_equal(pred, golden.pred)
    # several DMA batches in flight (TLAST checked by the harness on every frame) under gaps and backpressure
    from sim.harness import build_harness, run_images

    values, run = run_images(build_harness(tmp_path / "build"), images, batch=5, idle=0.3, backpressure=0.4)
    assert np.array_equal(values[:, : net.num_classes], golden.scores)
    assert (np.diff(run.frame_done) > 0).all()
