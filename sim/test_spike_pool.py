"""``snn_spike_pool`` in RTL against the reference: windows equal to, larger than (overlapping) and smaller
than (gapped) the stride, square or not; foldings, T, idle cycles, backpressure, reset, one beat per cycle."""

import numpy as np
import pytest

from sim.blocks import rtl_sources
from sim.runner import run_cocotb

CASES = [  # T, C, PE, H, W, (KH, KW), (SH, SW)
    (1, 4, 1, 6, 6, (2, 2), (2, 2)),  # K == S
    (5, 4, 2, 7, 7, (3, 3), (2, 2)),  # overlapping 3x3/2: two row and two column banks
    (8, 6, 3, 9, 6, (2, 3), (1, 2)),  # non-square window and stride, overlapping both ways
    (16, 4, 4, 8, 9, (2, 2), (3, 3)),  # gapped: rows and columns between windows dropped; CF = 1
    (5, 6, 6, 6, 7, (3, 3), (1, 1)),  # stride 1: three banks each way, one beat per pixel
    (5, 6, 2, 10, 5, (1, 2), (3, 1)),  # gapped rows, overlapping columns
    (8, 4, 2, 5, 8, (5, 3), (4, 3)),  # the window is the whole height
]


def _params(case):
    T, C, PE, H, W, (kh, kw), (sh, sw) = case
    return dict(T=T, C=C, PE=PE, H=H, W=W, KH=kh, KW=kw, SH=sh, SW=sw)


@pytest.mark.parametrize("case", CASES, ids=lambda c: "T{}_C{}_PE{}_{}x{}_k{}x{}_s{}x{}".format(*c[:5], *c[5], *c[6]))
@pytest.mark.parametrize("idle,backpressure", [(0.0, 0.0), (0.3, 0.4)])
def test_spike_pool_rtl(tmp_path, case, idle, backpressure):
    p = _params(case)
    rng = np.random.default_rng(p["T"] * 100 + p["C"] * 10 + p["KH"])
    T, C, H, W = p["T"], p["C"], p["H"], p["W"]
    frames = (rng.random((3, T, C, H, W)) < 0.3).astype(np.uint8)
    frames[0] = rng.random((T, C, H, W)) < 0.03  # sparse frame: ORs of mostly zeros
    run_cocotb("snn_spike_pool", rtl_sources("snn_spike_pool"), "tb_spike_pool", parameters=p,
               vectors=dict(params=np.array(list(p.values())), frames=frames, idle=idle, backpressure=backpressure),
               work=tmp_path)


def test_pool_parameters_are_checked_before_simulation():
    from hw.rtl_gen import BlockParamError, pool_block

    with pytest.raises(BlockParamError, match=r"^p: PE=3 must divide C=4$"):
        pool_block("p", T=5, C=4, pe=3, H=8, W=8, kernel=(2, 2), stride=(2, 2))
    with pytest.raises(BlockParamError, match=r"^p: window 3x5 does not fit the 8x4 input$"):
        pool_block("p", T=5, C=4, pe=2, H=8, W=4, kernel=(3, 5), stride=(2, 2))
    with pytest.raises(BlockParamError, match=r"^p: stride must be at least 1, got 0x2$"):
        pool_block("p", T=5, C=4, pe=2, H=8, W=8, kernel=(2, 2), stride=(0, 2))
    assert pool_block("p", T=5, C=4, pe=2, H=8, W=8, kernel=(3, 2), stride=(2, 1)) == dict(
        T=5, C=4, PE=2, H=8, W=8, KH=3, KW=2, SH=2, SW=1)
