"""Weights in UltraRAM: the placement (``--weights-in``), the URAM count in report.json / report.txt, the fit
check, and the weight-load stream's layout."""

from dataclasses import replace

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from dietsnn.testing import random_network
from hw.boards import get_board
from hw.compile import CompileOptions, build_dataflow, compile_network
from hw.finn_ops.mvu_base import uram288
from hw.vivado.fit import DesignTooLarge, assess_fit, check_fit
from hw.weight_load import beats_to_bytes, word_beats
from hw.weight_memory import place_weights


@pytest.fixture(scope="module")
def built():
    """A small network whose fc1 (1,920 weights, SIMD = PE = 1 at this rate) sits in block RAM."""
    net = random_network(np.random.default_rng(3), in_shape=(1, 16, 16))
    return net, build_dataflow(net, CompileOptions(fps=20000, variants="generic", weights_in="bram"))


def _styles(model) -> dict:
    return {n.name: getCustomOp(n).get_nodeattr("ram_style") for n in model.graph.node
            if n.name in ("conv1", "conv2", "fc1", "fc2")}


def test_bram_keeps_every_weight_in_block_ram(built):
    _, res = built
    assert set(_styles(res.model).values()) == {"auto"}
    assert res.report["totals"]["URAM"] == 0 and res.report["totals"]["BRAM_18K"] > 0
    assert res.report["weight_memory"]["uram_layers"] == []


def test_auto_moves_the_largest_block_ram_weights_when_bram_runs_short(built):
    _, res = built
    zcu104 = get_board("ZCU104")
    tiny = replace(zcu104, name="tiny", capacity={**zcu104.capacity, "BRAM_18K": 2, "URAM": 10})  # budget 1 BRAM18
    fc1 = getCustomOp(res.model.get_node_from_name("fc1"))
    assert fc1.bram_estimation() > 0
    rec = place_weights(res.model, tiny, "auto", "rtl")
    assert rec["uram_layers"] == ["fc1"] and "above the budget of 1 BRAM18" in rec["reason"]
    assert fc1.bram_estimation() == 0 and fc1.uram_estimation() == uram288(*fc1.weight_memory()) == 1
    rec = place_weights(res.model, zcu104, "auto", "rtl")  # the real part has room: back to block RAM
    assert rec["uram_layers"] == [] and fc1.get_nodeattr("ram_style") == "auto"


def test_auto_keeps_block_ram_when_uram_would_overflow(built):
    _, res = built
    zcu104 = get_board("ZCU104")
    no_uram = replace(zcu104, name="no_uram", capacity={**zcu104.capacity, "BRAM_18K": 2, "URAM": 0})
    assert place_weights(res.model, no_uram, "auto", "rtl")["uram_layers"] == []


def test_uram_in_report_estimate_and_fit(built, tmp_path):
    net, _ = built
    net.save(tmp_path / "n.snn.npz")
    rep = compile_network(tmp_path / "n.snn.npz", tmp_path / "b",
                          CompileOptions(fps=20000, variants="generic", weights_in="uram"))
    fc1 = next(l for l in rep["layers"] if l["layer"] == "fc1")
    assert fc1["URAM"] == 1 and fc1["BRAM_18K"] == 0 and fc1["nodes"][-1]["ram_style"] == "ultra"
    assert rep["totals"]["URAM"] == 1
    assert rep["weight_memory"]["uram_layers"] == ["fc1"]  # the others are shallow: LUTRAM
    text = (tmp_path / "b" / "report.txt").read_text()
    assert "URAM" in text and "weights in URAM: fc1" in text
    zcu104 = get_board("ZCU104")
    assert assess_fit(rep, zcu104).fits
    no_uram = replace(zcu104, capacity={**zcu104.capacity, "URAM": 0})
    assert assess_fit(rep, no_uram).over == ("URAM",)
    with pytest.raises(DesignTooLarge, match=r"URAM: needs 1, the part has 0 .*--weights-in uram put the weights of "
                                             r"fc1 in UltraRAM; compile with --weights-in auto"):
        check_fit(rep, no_uram)


def test_uram_needs_the_rtl_blocks():
    with pytest.raises(ValueError, match=r"^weights_in 'uram' needs impl 'rtl'"):
        CompileOptions(impl="hls", weights_in="uram")
    with pytest.raises(ValueError, match=r"^weights_in must be one of auto, bram, uram, not 'lutram'"):
        CompileOptions(weights_in="lutram")


def test_load_beats_split_words_lsb_first():
    assert word_beats([0x123456, 0xABCDEF], 24, 16) == [0x3456, 0x12, 0xCDEF, 0xAB]
    assert beats_to_bytes([0x3456, 0x12], 32).tolist() == [0x56, 0x34, 0, 0, 0x12, 0, 0, 0]
    with pytest.raises(ValueError, match=r"does not fit 8 bits"):
        word_beats([0x1FF], 8, 8)
