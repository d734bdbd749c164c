"""The constant-weight blocks (``hw.rtl_const``) in RTL against the reference: every mode, T 1/5/8/16, stalls,
reset, the worst case of SPEC section 6, and trees of the shipped fmnist conv2 (real weights, 288 inputs)."""

import dataclasses

import numpy as np
import pytest

from dietsnn.netfile import IntNetwork
from dietsnn.ref.widths import layer_widths
from flow.cli import DEFAULT_RUN
from hw.rtl_const import const_block
from sim.runner import run_cocotb

from .test_mvu import make_case

# mode, MW, MH, T, leak
CASES = [
    ("lif", 12, 6, 5, 2),
    ("lif", 9, 4, 1, 1),
    ("lif", 20, 3, 8, 0),
    ("lif", 7, 5, 16, 3),
    ("input_lif", 9, 4, 5, 3),         # with leak: N + T update stages
    ("input_lif", 4, 3, 1, 0),
    ("input_lif", 6, 2, 16, 1),
    ("input_lif", 9, 5, 5, 0),         # no leak: T compares with tables of constants
    ("input_lif", 5, 3, 16, 0),
    ("scores", 10, 5, 5, 0),
    ("scores", 8, 3, 16, 0),
    ("label", 16, 6, 5, 0),
    ("label", 12, 3, 8, 0),
    ("label", 6, 1, 1, 0),
]
STALLED = [CASES[0], CASES[3], CASES[4], CASES[7], CASES[9], CASES[11]]


def run_case(tmp_path, mode, mw, mh, T, leak, idle=0.0, bp=0.0, worst=False, weight=None):
    rng = np.random.default_rng(mw * 37 + mh * 5 + T)
    w, x, bias, theta, _, state_bits = make_case(rng, mode, mw, mh, T, leak, worst=worst)
    if weight is not None:
        w = weight
    theta = theta if mode in ("lif", "input_lif") else None
    blk = const_block("dut", mode, w, bias, theta, T=T, leak_shift=leak, state_bits=state_bits, out_dir=tmp_path)
    run_cocotb(blk.module, list(blk.sources), "tb_mvu", {},
               vectors=dict(mode=mode, T=T, simd=mw, pe=mh, in_bits=8, state_bits=state_bits, weight=w,
                            bias=bias, theta=theta if theta is not None else np.zeros(mh, np.int64),
                            leak_shift=leak, x=x, idle=idle, backpressure=bp,
                            cycles_per_vector=blk.cycles_per_vector, latency=blk.latency),
               work=tmp_path)
    return blk


@pytest.mark.parametrize("mode,mw,mh,T,leak", CASES)
def test_cmvu_rtl(tmp_path, mode, mw, mh, T, leak):
    run_case(tmp_path, mode, mw, mh, T, leak)


@pytest.mark.parametrize("mode,mw,mh,T,leak", STALLED)
def test_cmvu_rtl_with_idle_and_backpressure(tmp_path, mode, mw, mh, T, leak):
    run_case(tmp_path, mode, mw, mh, T, leak, idle=0.3, bp=0.4)


@pytest.mark.parametrize("mode,T", [("lif", 8), ("lif", 16), ("input_lif", 8), ("scores", 16), ("label", 5)])
def test_cmvu_rtl_worst_case_of_section6(tmp_path, mode, T):
    """Every weight, input and bias at its largest (both signs): a[t] and the state reach their bounds."""
    run_case(tmp_path, mode, 9, 4, T, 0, worst=True)


def test_cmvu_zero_weights_cost_nothing(tmp_path):
    """All-zero input columns and channels enter no tree; the block still computes them (a = 0)."""
    rng = np.random.default_rng(3)
    w = rng.integers(-7, 8, (12, 4))
    w[[2, 7], :] = 0   # two inputs unused by every channel
    w[:, 1] = 0        # a channel with no synapse
    blk = run_case(tmp_path, "lif", 12, 4, 5, 1, weight=w)
    assert blk.tree_inputs == sum(bin(abs(int(v))).count("1") for v in w.ravel())


def test_cmvu_rtl_on_fmnist_conv2_channels(tmp_path):
    """Eight output channels of the shipped conv2 (3x3x32 = 288 inputs in the sliding window's (kh, kw, c) order,
    its bias, theta and leak), on random spike windows."""
    net = IntNetwork.load(DEFAULT_RUN / "network.snn.npz")
    conv2 = next(layer for layer in net.layers if layer.name == "conv2")
    chans = [0, 9, 18, 27, 36, 45, 54, 63]
    w = conv2.weight[chans].transpose(0, 2, 3, 1).reshape(len(chans), -1).T  # (288, 8)
    bias, theta = conv2.bias[chans], conv2.theta[chans]
    T = net.T
    sub = dataclasses.replace(conv2, weight=conv2.weight[chans], bias=bias, theta=theta)
    state_bits = layer_widths(sub, 1, T).state_bits
    x = np.random.default_rng(7).integers(0, 2 ** T, (8, w.shape[0]))
    blk = const_block("dut", "lif", w, bias, theta, T=T, leak_shift=conv2.leak_shift, state_bits=state_bits,
                      out_dir=tmp_path)
    run_cocotb(blk.module, list(blk.sources), "tb_mvu", {},
               vectors=dict(mode="lif", T=T, simd=w.shape[0], pe=len(chans), in_bits=8, state_bits=state_bits,
                            weight=w, bias=bias, theta=theta, leak_shift=conv2.leak_shift, x=x, idle=0.2,
                            backpressure=0.2, cycles_per_vector=blk.cycles_per_vector, latency=blk.latency),
               work=tmp_path)
