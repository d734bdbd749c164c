"""Every block of ours at or below the slowest FINN block on the timing proxy (hw.synth.timing), on small
configurations of every mode and T in 1..16. The FINN reference is the slowest FINN block of the fmnist build in
bench/results/timing.json (``make bench-timing``). Slow: one Yosys run per case (``make bench``)."""

import json
from pathlib import Path

import numpy as np
import pytest

from dietsnn.ref.widths import signed_bits
from hw.rtl_const import const_block
from hw.rtl_gen import mvu_block
from hw.synth import timing

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "timing.json"


def finn_reference() -> tuple[str, float]:
    """The slowest FINN block over the builds of bench/results/timing.json."""
    if not RESULTS.is_file():
        raise FileNotFoundError(f"{RESULTS} is missing: run `make bench-timing` first (it times FINN's blocks)")
    slow = [b["summary"]["slowest_finn"] for b in json.loads(RESULTS.read_text())["builds"]]
    worst = max((s for s in slow if s), key=lambda s: s["arrival_ns"])
    return worst["name"], worst["arrival_ns"]


def _arrays(mode, mw, mh, T, rng):
    w = rng.integers(-7, 8, (mw, mh))
    b = rng.integers(-40, 41, mh)
    th = np.full(mh, 2 ** 16)  # wide state registers: the longest carry chains a small block has
    max_in = 255 if mode == "input_lif" else 1
    acc = int(np.abs(w).sum(0).max()) * max_in
    lif = mode in ("lif", "input_lif")
    state = T * (acc + 40 + (int(th.max()) if lif else 0)) + (int(th.max()) if lif else 0)
    return w, b, th if lif else None, signed_bits(acc), signed_bits(state)


CASES = [(mode, T) for mode in ("input_lif", "lif", "scores", "label") for T in (1, 5, 8, 16)]


@pytest.mark.slow
@pytest.mark.parametrize("mode,T", CASES)
def test_snn_mvu_arrives_no_later_than_finns_slowest_block(tmp_path, mode, T):
    name, ref = finn_reference()
    mw, simd = (9, 9) if mode == "input_lif" else (64, 8)
    w, b, th, acc, state = _arrays(mode, mw, 8, T, np.random.default_rng(T))
    leak = 2 if th is not None else 0
    blk = mvu_block("t", mode, w, b, th, simd=simd, pe=4, T=T, acc_bits=acc, state_bits=state, leak_shift=leak,
                    out_dir=tmp_path)
    mems = [Path(blk.parameters[k].strip('"')) for k in ("WEIGHT_FILE", "BIAS_FILE", "THETA_FILE")]
    got = timing(f"test_timing_mvu_{mode}_{T}", "snn_mvu", list(blk.sources), blk.parameters, mems)
    assert got["arrival_ns"] <= ref, f"snn_mvu {mode} T={T}: {got['arrival_ns']} ns > {name}'s {ref} ns"


@pytest.mark.slow
@pytest.mark.parametrize("mode,T", CASES)
def test_constant_weight_block_arrives_no_later_than_finns_slowest_block(tmp_path, mode, T):
    name, ref = finn_reference()
    mw = 9 if mode == "input_lif" else 48
    w, b, th, _, state = _arrays(mode, mw, 8, T, np.random.default_rng(T + 100))
    blk = const_block("t", mode, w, b, th, T=T, leak_shift=2 if th is not None else 0, state_bits=state,
                      out_dir=tmp_path)
    got = timing(f"test_timing_cmvu_{mode}_{T}", blk.module, list(blk.sources), {})
    assert got["arrival_ns"] <= ref, f"const {mode} T={T}: {got['arrival_ns']} ns > {name}'s {ref} ns"
