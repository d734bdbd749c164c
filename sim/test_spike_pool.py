"""``snn_spike_pool`` in RTL against the reference: foldings, T, idle cycles, backpressure, reset."""

import numpy as np
import pytest

from sim.blocks import rtl_sources
from sim.runner import run_cocotb

CASES = [  # T, C, PE, H, W, K
    (1, 4, 1, 6, 6, 2),
    (5, 4, 2, 7, 7, 2),
    (5, 6, 6, 8, 8, 2),
    (8, 6, 3, 9, 6, 3),
]


@pytest.mark.parametrize("T,C,PE,H,W,K", CASES)
@pytest.mark.parametrize("idle,backpressure", [(0.0, 0.0), (0.3, 0.4)])
def test_spike_pool_rtl(tmp_path, T, C, PE, H, W, K, idle, backpressure):
    rng = np.random.default_rng(T * 100 + C)
    frames = rng.integers(0, 2, (3, T, C, H, W)).astype(np.uint8)
    frames[0, :, :, :, :] = rng.random((T, C, H, W)) < 0.05  # sparse frame: ORs of mostly zeros
    run_cocotb("snn_spike_pool", rtl_sources("snn_spike_pool"), "tb_spike_pool",
               parameters=dict(T=T, C=C, PE=PE, H=H, W=W, K=K),
               vectors=dict(params=np.array([T, C, PE, H, W, K]), frames=frames, idle=idle,
                            backpressure=backpressure),
               work=tmp_path)


def test_pool_parameters_are_checked_before_simulation():
    from hw.rtl_gen import BlockParamError, pool_block

    with pytest.raises(BlockParamError, match=r"^p: the RTL spike pool needs stride == kernel, got kernel 3, stride 2$"):
        pool_block("p", T=5, C=4, pe=2, H=8, W=8, kernel=3, stride=2)
    with pytest.raises(BlockParamError, match=r"^p: PE=3 must divide C=4$"):
        pool_block("p", T=5, C=4, pe=3, H=8, W=8, kernel=2, stride=2)
