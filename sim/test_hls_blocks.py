"""HLS C++ blocks (``hw/hls``) in g++ C simulation, bit-exact against ``dietsnn.ref``.

Every block over several foldings and T in {1, 5, 8}, several vectors/frames
back to back; the SPEC section 6 worst case against unbounded Python integers;
parameter errors raised before any compiler runs. Compiled simulations are
cached per content hash in the project's cache (``hw.toolenv.cache_dir()/hls``), outside the checkout.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dietsnn.netfile import Layer
from dietsnn.ref.mvu import mvu_layer
from dietsnn.ref.pool import spike_maxpool
from dietsnn.ref.streams import pack_beats, pack_spike_trains, spike_words, unpack_beats, word_spikes
from dietsnn.ref.widths import layer_widths
from hw import hls_gen


# ------------------------------------------------------------------ test data (the reference is dietsnn.ref.mvu)
def random_lif_params(rng, mw: int, mh: int, wbits: int, scale: float):
    """Weights over the whole WBITS range; bias and theta on the scale of the currents, so neurons spike sometimes."""
    w = rng.integers(-(1 << (wbits - 1)), 1 << (wbits - 1), (mw, mh))
    s = max(2, int(scale))
    return w, rng.integers(-s // 2, s // 2 + 1, mh), rng.integers(1, 2 * s, mh)


def random_spike_words(rng, n: int, mw: int, T: int) -> np.ndarray:
    """``(n, MW)`` uniformly random T-bit spike words (spike density 0.5)."""
    return rng.integers(0, 1 << T, (n, mw))


def check_spike_activity(words: np.ndarray, T: int) -> None:
    """The case is meaningful: some output spikes, and not all."""
    rate = word_spikes(words, T).mean()
    assert 0.0 < rate < 1.0, f"degenerate test data: spike rate {rate}"


# ------------------------------------------------------------------ SnnLIFMVU
LIF_CASES = [  # MW, MH, SIMD, PE, T, k, WBITS, NUM_VECTORS, frames
    (12, 6, 1, 1, 1, 0, 4, 2, 3),
    (12, 6, 4, 2, 5, 3, 4, 3, 2),
    (12, 6, 12, 6, 8, 1, 4, 2, 2),  # fully parallel
    (18, 8, 3, 8, 5, 15, 2, 4, 2),  # one neuron fold, 2-bit weights, weakest leak
]


@pytest.mark.parametrize("MW,MH,SIMD,PE,T,k,WBITS,vectors,frames", LIF_CASES)
def test_lif_mvu(MW, MH, SIMD, PE, T, k, WBITS, vectors, frames):
    rng = np.random.default_rng(MW * 1000 + SIMD * 10 + T)
    n = vectors * frames
    w, b, th = random_lif_params(rng, MW, MH, WBITS, math.sqrt(MW * 0.3) * (1 << (WBITS - 1)) / 2)
    words = spike_words((rng.random((T, n, MW)) < 0.3).astype(np.uint8))  # (N, MW), spike density 0.3
    layer = hls_gen.lif_mvu(MW=MW, MH=MH, SIMD=SIMD, PE=PE, T=T, weights=w, bias=b, theta=th, LEAK_SHIFT=k,
                            WBITS=WBITS, NUM_VECTORS=vectors)
    out = hls_gen.simulate(layer, pack_beats(words, T, SIMD))
    expect = mvu_layer(words, w, b, T, "lif", th, k)  # (N, MH) spike words
    check_spike_activity(expect, T)
    assert out == pack_beats(expect, T, PE)


# ------------------------------------------------------------------ SnnInputMVU
INPUT_CASES = [  # MW, MH, SIMD, PE, T, k, IBITS, NUM_VECTORS, frames
    (27, 4, 3, 1, 1, 0, 8, 3, 2),
    (27, 8, 9, 4, 5, 4, 8, 4, 2),
    (9, 4, 9, 4, 8, 2, 4, 5, 2),  # fully parallel, 4-bit pixels
]


@pytest.mark.parametrize("MW,MH,SIMD,PE,T,k,IBITS,vectors,frames", INPUT_CASES)
def test_input_mvu(MW, MH, SIMD, PE, T, k, IBITS, vectors, frames):
    rng = np.random.default_rng(MW * 1000 + SIMD * 10 + T + 1)
    n = vectors * frames
    hi = (1 << IBITS) - 1
    w, b, th = random_lif_params(rng, MW, MH, 4, math.sqrt(MW) * 4 * hi / 2)
    x = rng.integers(0, hi + 1, (n, MW))
    layer = hls_gen.input_mvu(MW=MW, MH=MH, SIMD=SIMD, PE=PE, T=T, weights=w, bias=b, theta=th, LEAK_SHIFT=k,
                              IBITS=IBITS, NUM_VECTORS=vectors)
    out = hls_gen.simulate(layer, pack_beats(x, IBITS, SIMD))
    expect = mvu_layer(x, w, b, T, "input_lif", th, k)  # (N, MH) spike words
    check_spike_activity(expect, T)
    assert out == pack_beats(expect, T, PE)


# ------------------------------------------------------------------ SnnOutputMVU
OUTPUT_CASES = [  # MW, MH, SIMD, PE, T, extra SBITS, NUM_VECTORS, frames
    (12, 10, 1, 2, 1, 0, 2, 2),
    (12, 10, 6, 5, 5, 3, 3, 2),  # SBITS = STATE_BITS + 3: sign-extended fields
    (16, 10, 16, 10, 8, 0, 2, 3),  # fully parallel
]


@pytest.mark.parametrize("MW,MH,SIMD,PE,T,extra,vectors,frames", OUTPUT_CASES)
def test_output_mvu_scores(MW, MH, SIMD, PE, T, extra, vectors, frames):
    rng = np.random.default_rng(MW * 1000 + SIMD * 10 + T + 2)
    n = vectors * frames
    w = rng.integers(-8, 8, (MW, MH))
    b = rng.integers(-20, 21, MH)
    words = random_spike_words(rng, n, MW, T)
    state_bits = layer_widths(Layer("fc", "output_accumulate", weight=w.T, bias=b), 1, T).state_bits
    layer = hls_gen.output_mvu(MW=MW, MH=MH, SIMD=SIMD, PE=PE, T=T, weights=w, bias=b, NUM_VECTORS=vectors,
                               SBITS=state_bits + extra)
    sbits = layer.params["SBITS"]
    out = hls_gen.simulate(layer, pack_beats(words, T, SIMD))
    expect = mvu_layer(words, w, b, T, "scores")  # (N, MH)
    assert out == pack_beats(expect, sbits, PE, signed=True)
    np.testing.assert_array_equal(unpack_beats(out, sbits, PE, signed=True).reshape(n, MH), expect)


LABEL_CASES = [  # MW, MH, SIMD, PE, T, NUM_VECTORS, frames
    (12, 10, 4, 2, 5, 12, 2),
    (8, 5, 8, 1, 8, 10, 2),
    (6, 4, 3, 4, 1, 10, 2),
]


@pytest.mark.parametrize("MW,MH,SIMD,PE,T,vectors,frames", LABEL_CASES)
def test_output_mvu_label(MW, MH, SIMD, PE, T, vectors, frames):
    """Argmax over all neuron folds, lowest index on ties (two channels are made identical)."""
    rng = np.random.default_rng(MW * 1000 + SIMD * 10 + T + 3)
    n = vectors * frames
    base = rng.integers(-8, 8, MW)
    w = np.stack([rng.permutation(base) for _ in range(MH)], axis=1)  # equal column sums: every channel can win
    b = rng.integers(-1, 2, MH)
    words = random_spike_words(rng, n, MW, T)
    win = int(np.bincount(mvu_layer(words, w, b, T, "label")[:, 0]).argmax())
    twin = (win + MH // 2) % MH  # a copy of the most frequent winner, in another neuron fold when NF > 1
    w[:, twin], b[twin] = w[:, win], b[win]
    layer = hls_gen.output_mvu(MW=MW, MH=MH, SIMD=SIMD, PE=PE, T=T, weights=w, bias=b, NUM_VECTORS=vectors,
                               EMIT_LABEL=1)
    assert layer.out_width == max(1, math.ceil(math.log2(MH)))
    out = hls_gen.simulate(layer, pack_beats(words, T, SIMD))
    expect = mvu_layer(words, w, b, T, "label")[:, 0]
    assert np.any(expect == min(win, twin)), "no vector where the tied channels are the maximum"
    assert len(set(expect.tolist())) > 1, "every vector has the same label"
    assert out == expect.tolist()


# ------------------------------------------------------------------ SnnSpikePool
POOL_CASES = [  # T, C, PE, H, W, K, frames
    (1, 4, 1, 6, 6, 2, 2),
    (5, 6, 3, 7, 5, 2, 3),  # trailing row and column dropped
    (8, 6, 6, 9, 8, 3, 2),  # trailing columns dropped
    (5, 2, 2, 4, 5, 1, 2),  # K = 1: identity
    (5, 4, 2, 3, 3, 3, 2),  # one window covers the map
    (9, 128, 128, 4, 4, 2, 2),  # 1152-bit beats: AP_INT_MAX_W raised
]


@pytest.mark.parametrize("T,C,PE,H,W,K,frames", POOL_CASES)
def test_spike_pool(T, C, PE, H, W, K, frames):
    rng = np.random.default_rng(T * 100 + C * 10 + K)
    spikes = (rng.random((T, frames, C, H, W)) < 0.15).astype(np.uint8)  # sparse: ORs of mostly zeros
    layer = hls_gen.spike_pool(H=H, W=W, C=C, PE=PE, K=K, T=T)
    out = hls_gen.simulate(layer, pack_beats(pack_spike_trains(spikes), T, PE))
    expect = pack_spike_trains(spike_maxpool(spikes, (K, K), (K, K)))  # (N, OH, OW, C) words
    assert out == pack_beats(expect, T, PE)


# ------------------------------------------------------------------ SPEC section 6 worst case
def python_lif(current: list[int], b: int, theta: int) -> int:
    """Unbounded-integer LIF without leak over one neuron's currents -> spike word."""
    u, o, word = 0, 0, 0
    for t, a in enumerate(current):
        u = u + a + b - theta * o
        o = int(u > theta)
        word |= o << t
    return word


def worst_case_params(mw: int, mh: int, wbits: int, max_input: int, T: int, bias_mag: int):
    """Weights at full magnitude (+max in the first half of the channels, -2**(WBITS-1) in the rest).

    With every input at its maximum the membrane of a positive channel only
    grows to ``T * (A_c + b)``; theta is set just below that (channel 0: one
    spike, at the last step) or at it (channel 1: none), so the spikes read the
    top of the membrane. The negative channels fall to ``-T * (A + |b|)`` with
    theta 1: a wrapped accumulator or membrane would turn positive and spike.
    """
    pos = mh // 2
    w = np.empty((mw, mh), dtype=np.int64)
    w[:, :pos] = (1 << (wbits - 1)) - 1
    w[:, pos:] = -(1 << (wbits - 1))
    b = np.where(np.arange(mh) < pos, bias_mag, -bias_mag)
    a = [int(w[:, c].sum()) * max_input for c in range(mh)]
    top = [T * (a[c] + int(b[c])) for c in range(mh)]
    th = np.full(mh, top[0], dtype=np.int64)  # top[1] == top[0]
    th[0] -= 1
    th[pos:] = 1
    return w, b, th, a


@pytest.mark.parametrize("op", ["lif", "input"])
def test_worst_case_lif(op):
    T, mh = 16, 4
    if op == "lif":
        mw, simd, pe, max_input, kind = 288, 32, 2, 1, "lif_dense"
    else:
        mw, simd, pe, max_input, kind = 27, 27, 4, 255, "input_lif"
    w, b, th, a = worst_case_params(mw, mh, 4, max_input, T, bias_mag=1000)
    widths = layer_widths(Layer("worst", kind, weight=w.T, bias=b, theta=th), max_input, T)
    kw = dict(MW=mw, MH=mh, SIMD=simd, PE=pe, T=T, weights=w, bias=b, theta=th, LEAK_SHIFT=0,
              NUM_VECTORS=2, ACC_BITS=widths.acc_bits, STATE_BITS=widths.state_bits)
    if op == "lif":
        layer = hls_gen.lif_mvu(**kw)
        beats = pack_beats(np.full((2, mw), (1 << T) - 1), T, simd)  # every spike 1
    else:
        layer = hls_gen.input_mvu(**kw, IBITS=8)
        beats = pack_beats(np.full((2, mw), 255), 8, simd)  # every pixel 255
    expect = [python_lif([a[c]] * T, int(b[c]), int(th[c])) for c in range(mh)]
    assert expect[0] == 1 << (T - 1) and expect[1:] == [0] * (mh - 1)
    assert T * (a[0] + int(b[0])) >= 1 << (widths.acc_bits + 1), "the membrane must outgrow the accumulator"
    out = hls_gen.simulate(layer, beats)
    assert unpack_beats(out, T, pe).tolist() == expect * 2


def test_worst_case_output():
    T, mw, mh, simd, pe = 16, 288, 4, 32, 4
    w, b, _, a = worst_case_params(mw, mh, 4, 1, T, bias_mag=1000)
    widths = layer_widths(Layer("worst", "output_accumulate", weight=w.T, bias=b), 1, T)
    layer = hls_gen.output_mvu(MW=mw, MH=mh, SIMD=simd, PE=pe, T=T, weights=w, bias=b, NUM_VECTORS=2,
                               ACC_BITS=widths.acc_bits, STATE_BITS=widths.state_bits)
    expect = [T * (a[c] + int(b[c])) for c in range(mh)]  # unbounded Python ints
    assert min(expect) == -widths.state_bound, "the negative channels reach the section 6 bound"
    out = hls_gen.simulate(layer, pack_beats(np.full((2, mw), (1 << T) - 1), T, simd))
    assert unpack_beats(out, widths.state_bits, pe, signed=True).tolist() == expect * 2


# ------------------------------------------------------------------ errors before any compiler runs
def _mvu_kw(**over):
    kw = dict(MW=12, MH=8, SIMD=4, PE=2, T=5, weights=np.zeros((12, 8), int), bias=np.zeros(8, int),
              theta=np.ones(8, int))
    kw.update(over)
    return kw


def _out_kw(**over):
    kw = _mvu_kw(**over)
    del kw["theta"]
    return kw


BAD = [
    (lambda: hls_gen.lif_mvu(**_mvu_kw(SIMD=5)), r"^SnnLIFMVU: SIMD=5 must divide MW=12$"),
    (lambda: hls_gen.lif_mvu(**_mvu_kw(PE=3)), r"^SnnLIFMVU: PE=3 must divide MH=8$"),
    (lambda: hls_gen.lif_mvu(**_mvu_kw(T=17)), r"^SnnLIFMVU: T=17 must be in 1\.\.16$"),
    (lambda: hls_gen.lif_mvu(**_mvu_kw(T=0)), r"^SnnLIFMVU: T=0 must be in 1\.\.16$"),
    (lambda: hls_gen.lif_mvu(**_mvu_kw(LEAK_SHIFT=16)), r"^SnnLIFMVU: LEAK_SHIFT=16 must be in 0\.\.15$"),
    (lambda: hls_gen.lif_mvu(**_mvu_kw(SIMD=0)), r"^SnnLIFMVU: SIMD=0 must be >= 1$"),
    (lambda: hls_gen.lif_mvu(**_mvu_kw(WBITS=0)), r"^SnnLIFMVU: WBITS=0 must be in 1\.\.32$"),
    (lambda: hls_gen.lif_mvu(**_mvu_kw(STATE_BITS=0)), r"^SnnLIFMVU: STATE_BITS=0 must be in 1\.\.4096$"),
    (lambda: hls_gen.lif_mvu(**_mvu_kw(T=2.5)), r"^SnnLIFMVU: T must be an integer, not 2\.5$"),
    (lambda: hls_gen.lif_mvu(**_mvu_kw(weights=np.full((12, 8), -9))),
     r"^SnnLIFMVU: weights -9\.\.-9 do not fit WBITS=4 signed \(-8\.\.7\)$"),
    (lambda: hls_gen.lif_mvu(**_mvu_kw(weights=np.zeros((8, 12), int))),
     r"^SnnLIFMVU: weights has shape \(8, 12\), expected \(MW, MH\) = \(12, 8\)$"),
    (lambda: hls_gen.lif_mvu(**_mvu_kw(name="2nd layer")), r"^SnnLIFMVU: name must be a C identifier"),
    (lambda: hls_gen.input_mvu(**_mvu_kw(IBITS=0)), r"^SnnInputMVU: IBITS=0 must be in 1\.\.32$"),
    (lambda: hls_gen.input_mvu(**_mvu_kw(theta=np.zeros(8, int))),
     r"^SnnInputMVU: theta must be positive in every channel, got min 0$"),
    (lambda: hls_gen.input_mvu(**_mvu_kw(weights=np.ones((12, 8), int), ACC_BITS=10)),
     r"^SnnInputMVU: ACC_BITS=10 is too narrow: \|a\| reaches 3060, which needs 13 signed bits \(SPEC section 6\)$"),
    (lambda: hls_gen.output_mvu(**_out_kw(weights=np.ones((12, 8), int), STATE_BITS=6)),
     r"^SnnOutputMVU: STATE_BITS=6 is too narrow: \|v\| reaches 60, which needs 7 signed bits"),
    (lambda: hls_gen.output_mvu(**_out_kw(weights=np.ones((12, 8), int), SBITS=5)),
     r"^SnnOutputMVU: SBITS=5 is too narrow: \|v\| reaches 60"),
    (lambda: hls_gen.output_mvu(**_out_kw(EMIT_LABEL=2)), r"^SnnOutputMVU: EMIT_LABEL=2 must be in 0\.\.1$"),
    (lambda: hls_gen.spike_pool(H=6, W=6, C=6, PE=4, K=2, T=5), r"^SnnSpikePool: PE=4 must divide C=6$"),
    (lambda: hls_gen.spike_pool(H=2, W=5, C=4, PE=2, K=3, T=5),
     r"^SnnSpikePool: window K=3 does not fit the 2x5 input$"),
    (lambda: hls_gen.spike_pool(H=6, W=6, C=4, PE=2, K=2, T=20), r"^SnnSpikePool: T=20 must be in 1\.\.16$"),
    (lambda: hls_gen.spike_pool(H=6, W=6, C=512, PE=512, K=2, T=16),
     r"^SnnSpikePool: the beat is 8192 bits, more than the 4096 this generator supports$"),
]


@pytest.mark.parametrize("make,message", BAD, ids=[m for _, m in BAD])
def test_invalid_parameters_fail_before_compiling(monkeypatch, tmp_path, make, message):
    def no_compiler(*args, **kwargs):
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(hls_gen.subprocess, "run", no_compiler)
    with pytest.raises(ValueError, match=message):
        hls_gen.simulate(make(), [0], root=tmp_path)
    assert not any(tmp_path.iterdir())


# ------------------------------------------------------------------ generated code and the csim driver
def test_generated_top_function():
    layer = hls_gen.lif_mvu(**_mvu_kw(name="fc1"))
    top = hls_gen.render(layer)["fc1.cpp"]
    for line in ("#pragma HLS INTERFACE axis port=s_axis", "#pragma HLS INTERFACE axis port=m_axis",
                 "#pragma HLS INTERFACE ap_ctrl_none port=return",
                 "void fc1(hls::stream<ap_uint<20> > &s_axis, hls::stream<ap_uint<10> > &m_axis)",
                 "static const fc1_config::weight_t fc1_weights[2][12][4] = {",
                 "snn::snn_lif_mvu<fc1_config>(s_axis, m_axis, fc1_weights, fc1_bias, fc1_theta);"):
        assert line in top, line
    for header in ("snn_lif_mvu.h", "snn_input_mvu.h", "snn_output_mvu.h", "snn_spike_pool.h"):
        assert "#pragma HLS PIPELINE II=1" in (hls_gen.HLS_DIR / header).read_text(), header


def test_csim_rejects_bad_input():
    layer = hls_gen.spike_pool(H=6, W=6, C=4, PE=1, K=2, T=1)
    binary = hls_gen.build(layer)
    with pytest.raises(hls_gen.CsimError, match=r"143 input beats are not a whole number of calls of 144 beats"):
        hls_gen.run_csim(binary, [0] * 143)
    with pytest.raises(hls_gen.CsimError, match=r"is not a 1-bit hexadecimal beat"):
        hls_gen.run_csim(binary, [2] * 144)


# ------------------------------------------------------------------ the RTL testbench's own vectors
def _rtl_cases():
    from sim.test_mvu import CASES

    return CASES


@pytest.mark.parametrize("mode,mw,mh,simd,pe,T,leak", _rtl_cases())
def test_hls_on_the_rtl_testbench_vectors(mode, mw, mh, simd, pe, T, leak):
    """The same weights, parameters and input vectors as ``sim/test_mvu.py`` feeds the RTL block."""
    from sim.test_mvu import make_case

    rng = np.random.default_rng(mw * 31 + mh * 7 + T)  # the RTL test's seed
    w, x, bias, theta, acc_bits, state_bits = make_case(rng, mode, mw, mh, T, leak)
    common = dict(MW=mw, MH=mh, SIMD=simd, PE=pe, T=T, weights=w, bias=bias, NUM_VECTORS=len(x),
                  ACC_BITS=acc_bits, STATE_BITS=state_bits)
    if mode == "lif":
        layer = hls_gen.lif_mvu(theta=theta, LEAK_SHIFT=leak, **common)
    elif mode == "input_lif":
        layer = hls_gen.input_mvu(theta=theta, LEAK_SHIFT=leak, **common)
    else:
        layer = hls_gen.output_mvu(EMIT_LABEL=int(mode == "label"), **common)
    ebits = 8 if mode == "input_lif" else T
    out = mvu_layer(x, w, bias, T, mode, theta if mode in ("lif", "input_lif") else None, leak)
    if mode == "label":
        expected = [int(v) for v in out[:, 0]]
    elif mode == "scores":
        expected = pack_beats(out.reshape(-1), state_bits, pe, signed=True)
    else:
        expected = pack_beats(out.reshape(-1), T, pe)
    assert hls_gen.simulate(layer, pack_beats(x.reshape(-1), ebits, simd)) == expected
