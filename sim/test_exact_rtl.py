"""Issue 12 item 1 in RTL: biases of 2^25 + 1 and scores beyond 2^24 through compile, stitch and the Verilator
harness give the golden scores exactly (the .mem files come from the int64 initializers). About 1.5 minutes
(the harness's Verilator build), so it runs with ``make bench`` (``-m slow``)."""

import numpy as np
import pytest

from dietsnn.ref import run_network


@pytest.mark.slow
def test_rtl_scores_beyond_2_to_24_are_exact(tmp_path):
    from flow.predict import predict_scores
    from flow.stitch import stitch_build
    from hw.compile import CompileOptions, compile_network
    from tests.hw.test_exact import big_network, some_images  # the same network and images

    net, imgs = big_network(), some_images()
    net.save(tmp_path / "big.snn.npz")
    compile_network(tmp_path / "big.snn.npz", tmp_path / "build", CompileOptions(fps=2000))
    stitch_build(tmp_path / "build", 0)
    scores = predict_scores(net, imgs, "rtl", build=str(tmp_path / "build"))
    scores = scores[0] if isinstance(scores, tuple) else scores
    golden = run_network(net, imgs).scores
    assert np.abs(golden).max() > 2**24 and np.array_equal(np.asarray(scores), golden)
