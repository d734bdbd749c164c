"""The constant-weight generator's compressor trees (hw.rtl_const), checked in software: exact a = W x."""

import re

import numpy as np
import pytest

from dietsnn.ref.lif import lif_sequence
from hw.block_params import BlockParamError
from hw.rtl_const import MAX_COUNTER, const_block, eval_tree, plan_channel


def _bits(x: np.ndarray, ebits: int) -> np.ndarray:
    # (N, MW) unsigned -> (N, MW*ebits) of 0/1, element i bit k at i*ebits + k
    return ((x[:, :, None] >> np.arange(ebits)) & 1).reshape(len(x), -1)


@pytest.mark.parametrize("ebits,mw", [(1, 1), (1, 7), (1, 288), (8, 9), (3, 40)])
def test_tree_computes_the_exact_dot_product(ebits, mw):
    rng = np.random.default_rng(mw + ebits)
    for _ in range(3):
        w = rng.integers(-8, 8, mw)
        w[rng.random(mw) < 0.3] = 0
        x = rng.integers(0, 1 << ebits, (64, mw))
        x[0], x[1] = 0, (1 << ebits) - 1  # the extremes
        bias = int(rng.integers(-300, 301))
        tree = plan_channel(w, ebits, "c", bias=bias)
        # the constant of the negative weights and the bias are constant bits in the columns, the adder has two
        # operands and works modulo 2^width: exact, since a + b fits width signed bits
        assert np.array_equal(eval_tree(tree, _bits(x, ebits)), x @ w + bias)
        assert tree.lo <= int((x @ w).min()) + bias and int((x @ w).max()) + bias <= tree.hi
        assert len(tree.row0) == len(tree.row1) == tree.width
        wide = plan_channel(w, ebits, "c", bias=bias, width=tree.width + 3)  # the block's common width
        assert np.array_equal(eval_tree(wide, _bits(x, ebits)), x @ w + bias)
        assert all(k <= MAX_COUNTER for st in tree.stages for _, _, k, _ in st.counters)
        assert all(sum(1 for b in row if b) <= len(row) for row in (tree.row0, tree.row1))


def test_a_width_below_the_bound_is_refused():
    with pytest.raises(ValueError, match=r"c7: a in \[-16, 40\] needs 7 signed bits, not 6"):
        plan_channel(np.array([-3, 5]), 3, "c7", bias=5, width=6)


def test_zero_weights_enter_no_tree():
    w = np.array([0, 3, 0, -1, 0, 0, 2, 0])
    tree = plan_channel(w, 1, "c")
    assert tree.inputs == 2 + 1 + 1  # |3| = 0b11, |-1| = 0b1, |2| = 0b10
    assert plan_channel(np.zeros(5, int), 1, "c").inputs == 0


def test_generated_block_reports_its_shape(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.integers(-7, 8, (12, 6))
    blk = const_block("l", "lif", w, np.zeros(6, int), np.full(6, 9), T=5, out_dir=tmp_path)
    assert blk.module == "l_cmvu" and blk.sources[0].read_text().count("module l_cmvu") == 1
    assert (blk.in_width, blk.out_width, blk.cycles_per_vector) == (12 * 5, 6 * 5, 5)
    assert "real" not in blk.sources[0].read_text()


@pytest.mark.parametrize("kw,msg", [
    (dict(mode="spikes"), r"^l: mode must be one of"),
    (dict(lps=0), r"^l: lps=0 must be an integer >= 1$"),
    (dict(T=17), r"^l: T=17 must be in 1\.\.16"),
    (dict(weight=np.full((4, 2), 9)), r"^l: weights 9\.\.9 do not fit WBITS=4"),
])
def test_bad_parameters_are_refused_naming_the_layer(tmp_path, kw, msg):
    args = dict(mode="lif", weight=np.ones((4, 2), int), T=5, lps=2)
    args.update(kw)
    with pytest.raises(BlockParamError, match=msg):
        const_block("l", args.pop("mode"), args.pop("weight"), np.zeros(2, int), np.ones(2, int), out_dir=tmp_path,
                    **args)


def test_no_leak_constant_input_lif_is_a_compare_with_a_table():
    """MODE 0 without leak: o[t] = (a+b) > floor(theta (s+1) / (t+1)), s = spikes before t (the generated stages),
    equals the reference LIF (dietsnn.ref.lif) for every a+b in a wide range and several theta."""
    T = 16
    for theta in (1, 2, 3, 7, 40, 1000):
        ab = np.arange(-3 * theta - 5, 3 * theta + 6)
        spikes, _ = lif_sequence(np.tile(ab, (T, 1, 1)), np.zeros(1, np.int64), np.full(1, theta), 0, channel_axis=0)
        s = np.zeros_like(ab)
        for t in range(T):
            o = (ab > theta * (s + 1) // (t + 1)).astype(np.int64)
            assert np.array_equal(o, spikes[t, 0]), (theta, t)
            s += o


def test_full_counters_take_their_column_transposed():
    """A column of 14 bits: two 6-input counters (bits q, 2 + q, 4 + q, ...) and two bits passed on; of 17: the
    last counter takes the 5 bits after the full ones."""
    from hw.rtl_const import _chunks

    assert _chunks(list(range(14))) == [[0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9, 11]]
    assert _chunks(list(range(17))) == [[0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9, 11], [12, 13, 14, 15, 16]]
    assert _chunks(list(range(2))) == [] and _chunks(list(range(3))) == [[0, 1, 2]]


def test_concatenations_merge_runs_into_part_selects():
    from hw.cmvu_vectors import concat

    bits = [(False, "x", 0), (False, "x", 1), (False, "x", 2), (True, "x", 3), (True, "x", 4), (False, "y", 7),
            (False, "1'b1", None), (False, "1'b1", None)]
    assert concat(bits) == "{{2{1'b1}}, y[7], ~x[4:3], x[2:0]}"
    assert concat([(False, "v", 5)]) == "v[5]"


def test_block_is_written_bit_sliced(tmp_path):
    """The trees of every channel are one statement per stage, counter size and output bit (not one per counter):
    the text Verilator turns into the model's per-cycle code stays small (bench/results/sim_speed.json)."""
    rng = np.random.default_rng(3)
    w = rng.integers(-7, 8, (288, 16))
    blk = const_block("l", "lif", w, np.zeros(16, int), np.full(16, 40), T=5, out_dir=tmp_path)
    text = blk.sources[0].read_text()
    groups = len(re.findall(r"counters\n", text))
    assert sum(blk.counters.values()) > 10 * groups > 0
    assert text.count("<=") + text.count("assign") < 8 * groups + 60
