"""Parallel simulator processes over parts of an image stream (``sim.harness.run_images_parallel``,
``Harness.run_parts``): the same scores and spike counts as one run, in image order."""

from __future__ import annotations

import numpy as np
import pytest

from dietsnn.harness import Harness
from sim.harness import run_images, run_images_parallel, split_frames


def test_parts_equal_one_run_in_image_order(fmnist_deploy, fmnist_test_images):
    h = Harness(fmnist_deploy / "sim_harness")
    images = fmnist_test_images[0][:7]
    one, run = run_images(h, images, batch=3, taps=True)
    values, parts = run_images_parallel(h, images, batch=3, jobs=2, chunk=3, taps=True)
    assert [(a, b) for a, b, _ in parts] == [(0, 3), (3, 6), (6, 7)]
    assert np.array_equal(values, one)
    shuffled, _ = run_images_parallel(h, images[::-1], jobs=2)  # another order in, the same order out
    assert np.array_equal(shuffled, one[::-1])
    for layer, counts in run.taps.items():  # every spike of the one run, counted once over the parts
        assert np.array_equal(sum(r.taps[layer] for _, _, r in parts), counts), layer
    for a, b, r in parts:  # each part is a run from reset: its own cycle count, one completion per frame
        assert len(r.frame_done) == b - a and 0 < r.cycles < run.cycles


def test_bad_arguments_are_named(fmnist_deploy, fmnist_test_images):
    h = Harness(fmnist_deploy / "sim_harness")
    with pytest.raises(ValueError, match=r"jobs must be a positive integer of processes, not 0"):
        h.run_parts([np.zeros(h.in_frame_bytes, np.uint8)] * 2, jobs=0)
    with pytest.raises(ValueError, match=r"chunk must be a positive integer of frames, not 0"):
        run_images_parallel(h, fmnist_test_images[0][:2], chunk=0)
    with pytest.raises(ValueError, match=r"images: expected"):
        run_images_parallel(h, fmnist_test_images[0][:2, :, :5])


def test_split_frames():
    assert split_frames(10_000, 2, 1000)[-1] == (9000, 10_000)
    assert split_frames(7, 3) == [(0, 3), (3, 6), (6, 7)]
    assert split_frames(1, 16) == [(0, 1)]


def test_harness_build_options():
    from sim.harness import DEFAULT_BUILD, HarnessBuild, build_harness

    assert HarnessBuild(jobs=2, output_split=5000).command_options()[:2] == ["-j", "2"]
    opts = HarnessBuild(output_split=5000).command_options()
    i = opts.index("--output-split")
    assert opts[i:i + 4] == ["--output-split", "5000", "--output-split-cfuncs", "5000"]
    assert opts[-2:] == ["-MAKEFLAGS", "OPT_FAST=-O2 OPT_SLOW=-O2 OPT_GLOBAL=-O2"]
    assert "-fno-reorder" in DEFAULT_BUILD.verilator  # measured: Verilator's statement reordering took minutes
    # measured: the constant-weight unit's loops over 288 elements, left rolled, update whole wide vectors per bit
    i = DEFAULT_BUILD.verilator.index("--unroll-count")
    assert int(DEFAULT_BUILD.verilator[i + 1]) >= 288
    with pytest.raises(ValueError, match=r"HarnessBuild.jobs must be a positive integer or None, not 0"):
        HarnessBuild(jobs=0).command_options()
    with pytest.raises(ValueError, match=r"HarnessBuild.output_split must be a non-negative integer, not -1"):
        HarnessBuild(output_split=-1).command_options()
    with pytest.raises(TypeError, match=r"options must be a HarnessBuild, not str"):
        build_harness("nowhere", options="-O3")
