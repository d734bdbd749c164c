"""``snn_mvu`` in RTL against the reference: every mode, foldings, T, stalls, worst case, reset."""

import numpy as np
import pytest

from dietsnn.ref.widths import signed_bits
from hw.rtl_gen import BlockParamError, mvu_block
from sim.runner import run_cocotb

# mode, MW, MH, SIMD, PE, T, leak. The LIF runs in time (one step per cycle) when MW/SIMD >= T >= 8, else in space.
CASES = [
    ("lif", 12, 6, 3, 2, 5, 2),        # LIF in space (SF 4 < T 5)
    ("lif", 12, 6, 12, 6, 8, 0),       # in space, SF 1
    ("lif", 9, 4, 1, 1, 1, 1),         # T 1
    ("lif", 24, 4, 2, 2, 5, 3),        # in space although SF 12 >= T (T < 8)
    ("lif", 16, 4, 2, 2, 8, 1),        # in time, SF == T
    ("lif", 32, 4, 2, 2, 16, 4),       # T 16 in time, SF == T
    ("lif", 8, 4, 4, 2, 16, 2),        # T 16 in space
    ("input_lif", 9, 4, 3, 2, 5, 3),   # in space
    ("input_lif", 9, 8, 9, 8, 8, 0),
    ("input_lif", 4, 2, 1, 1, 1, 0),
    ("input_lif", 16, 4, 2, 2, 8, 2),  # in time (SF 8)
    ("input_lif", 16, 2, 1, 1, 16, 1),  # T 16 in time
    ("scores", 10, 5, 5, 5, 5, 0),
    ("scores", 16, 4, 4, 1, 8, 0),
    ("scores", 8, 4, 2, 2, 1, 0),
    ("scores", 6, 4, 3, 2, 16, 0),
    ("label", 16, 6, 2, 3, 5, 0),
    ("label", 12, 3, 12, 1, 8, 0),
    ("label", 8, 8, 2, 4, 16, 0),      # argmax tree over 4 PE, 2 neuron folds
]
STALLED = [CASES[0], CASES[3], CASES[4], CASES[7], CASES[10], CASES[12], CASES[16], CASES[18]]


def make_case(rng, mode, mw, mh, T, leak, wbits=4, worst=False, vectors=6):
    lim = 2 ** (wbits - 1) - 1
    if worst:
        w = np.full((mw, mh), lim)  # even channels at the positive bound, odd ones at the negative
        w[:, 1::2] = -lim
        x = np.full((vectors, mw), 255 if mode == "input_lif" else 2 ** T - 1)
        bias, theta = np.full(mh, 7), np.full(mh, 2 ** 20)
        bias[1::2] = -7
    else:
        w = rng.integers(-lim, lim + 1, (mw, mh))
        x = rng.integers(0, 256, (vectors, mw)) if mode == "input_lif" else rng.integers(0, 2 ** T, (vectors, mw))
        scale = 9 * 255 * 3 if mode == "input_lif" else mw * 2
        bias = rng.integers(-scale // 8, scale // 8 + 1, mh)
        theta = rng.integers(max(1, scale // 6), scale // 2 + 2, mh)
    max_in = 255 if mode == "input_lif" else 1
    acc = int(np.abs(w).sum(0).max()) * max_in
    state = T * (acc + int(np.abs(bias).max()) + (int(theta.max()) if mode in ("lif", "input_lif") else 0))
    state += int(theta.max()) if mode in ("lif", "input_lif") else 0
    return w, x, bias, theta, signed_bits(acc), signed_bits(state)


def run_case(tmp_path, mode, mw, mh, simd, pe, T, leak, idle=0.0, bp=0.0, worst=False, weight_load=False):
    rng = np.random.default_rng(mw * 31 + mh * 7 + T)
    w, x, bias, theta, acc_bits, state_bits = make_case(rng, mode, mw, mh, T, leak, worst=worst)
    blk = mvu_block("dut", mode, w, bias, theta if mode in ("lif", "input_lif") else None, simd=simd, pe=pe, T=T,
                    acc_bits=acc_bits, state_bits=state_bits, leak_shift=leak, out_dir=tmp_path,
                    weight_load=weight_load)
    load = {"load_words": np.array(blk.load_words, dtype=object).astype(str)} if weight_load else {}
    run_cocotb("snn_mvu", list(blk.sources), "tb_mvu", blk.parameters,
               vectors=dict(mode=mode, T=T, simd=simd, pe=pe, in_bits=8, state_bits=state_bits, weight=w,
                            bias=bias, theta=theta, leak_shift=leak, x=x, idle=idle, backpressure=bp, **load),
               work=tmp_path)


@pytest.mark.parametrize("mode,mw,mh,simd,pe,T,leak", CASES)
def test_mvu_rtl(tmp_path, mode, mw, mh, simd, pe, T, leak):
    run_case(tmp_path, mode, mw, mh, simd, pe, T, leak)


@pytest.mark.parametrize("mode,mw,mh,simd,pe,T,leak", STALLED)
def test_mvu_rtl_with_idle_and_backpressure(tmp_path, mode, mw, mh, simd, pe, T, leak):
    run_case(tmp_path, mode, mw, mh, simd, pe, T, leak, idle=0.3, bp=0.4)


#: UltraRAM weights (WEIGHT_LOAD 1), loaded through s_axis_w with gaps, LIF, image input, scores, and one word (SF = NF = 1)
URAM = [CASES[0], CASES[7], CASES[12], ("lif", 9, 4, 9, 4, 5, 0)]


@pytest.mark.parametrize("mode,mw,mh,simd,pe,T,leak", URAM)
def test_mvu_rtl_weights_in_uram_loaded_with_stalls(tmp_path, mode, mw, mh, simd, pe, T, leak):
    run_case(tmp_path, mode, mw, mh, simd, pe, T, leak, idle=0.3, bp=0.4, weight_load=True)


@pytest.mark.parametrize("mode,mw,simd,T", [("lif", 9, 3, 8), ("lif", 16, 1, 16), ("input_lif", 9, 3, 8),
                                            ("input_lif", 16, 1, 16), ("scores", 9, 3, 8), ("label", 16, 2, 16)])
def test_mvu_rtl_worst_case_of_section6(tmp_path, mode, mw, simd, T):
    """Every weight, input and bias at its largest: a[t] and the state reach the bounds of SPEC section 6."""
    run_case(tmp_path, mode, mw, 4, simd, 2, T, 0, worst=True)


@pytest.mark.parametrize("kw,msg", [
    (dict(simd=5), r"^dut: SIMD=5 must divide MW=12$"),
    (dict(pe=4), r"^dut: PE=4 must divide MH=6$"),
    (dict(state_bits=60), r"^dut: widths must satisfy"),
    (dict(T=17), r"^dut: T=17 must be in 1\.\.16$"),
])
def test_block_parameters_are_checked_before_simulation(tmp_path, kw, msg):
    args = dict(simd=3, pe=2, T=5, acc_bits=10, state_bits=16)
    args.update(kw)
    with pytest.raises(BlockParamError, match=msg):
        mvu_block("dut", "lif", np.zeros((12, 6), int), np.zeros(6, int), np.ones(6, int), out_dir=tmp_path, **args)
