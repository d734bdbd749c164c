"""The folding's block variants, the FIFO placement and depths, the FIFOs in report.json, the timing-proxy report."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from dietsnn.netfile import IntNetwork, Layer
from dietsnn.ref import run_network
from dietsnn.testing import random_network
from dietsnn.vocab import Kind
from hw.compile import CompileOptions, build_dataflow
from hw.execute import execute_dataflow
from hw.fifos import FIFO_OPS, estimated_depth, fifo_totals
from hw.fold import VARIANT_CHOICES, SetSNNFolding
from hw.proxy import layer_timing, proxy_warnings, timing_text


def pool_then_dense(rng) -> IntNetwork:
    """conv (image, 8 channels) -> OR-pool 2 -> dense 16 (LIF) -> dense 3: a dense unit after a narrow pool."""
    def w(*shape):
        return rng.integers(-7, 8, size=shape).astype(np.int64)

    layers = (Layer("conv1", Kind.INPUT_LIF, (3, 3), (1, 1), (1, 1, 1, 1), 2, w(8, 1, 3, 3), rng.integers(-50, 50, 8),
                    rng.integers(150, 300, 8)),
              Layer("pool1", Kind.SPIKE_MAXPOOL, (2, 2), (2, 2)),
              Layer("fc1", Kind.LIF_DENSE, leak_shift=1, weight=w(16, 8 * 4 * 4), bias=rng.integers(-2, 3, 16),
                    theta=rng.integers(3, 7, 16)),
              Layer("fc2", Kind.OUTPUT_ACCUMULATE, weight=w(3, 16), bias=rng.integers(-2, 3, 3)))
    return IntNetwork(T=5, input_shape=(1, 8, 8), input_bits=8, layers=layers, weight_bits=4)


def nodes(model, name):
    return [n for n in model.graph.node if n.name == name][0]


def test_dense_input_buffer_moves_to_the_narrow_side_and_stays_exact():
    rng = np.random.default_rng(4)
    net = pool_then_dense(rng)
    res = build_dataflow(net, CompileOptions(fps=1e6, variants="generic"))  # 200 cycles per frame
    model = res.model
    fc1 = nodes(model, "fc1")
    inst = getCustomOp(fc1)
    fill = inst.get_nodeattr("inputFillWidth")
    assert 0 < fill < inst.get_instream_width()
    # no FIFO between the width converter and fc1: the converter feeds it directly, its input FIFO holds the vector
    dwc = model.find_producer(fc1.input[0])
    assert dwc.op_type.startswith("StreamingDataWidthConverter")
    before = model.find_producer(dwc.input[0])
    assert before.op_type in FIFO_OPS
    sf = inst.get_nodeattr("MW") // inst.get_nodeattr("SIMD")
    ratio = -(-inst.get_instream_width() // fill)
    assert getCustomOp(before).get_nodeattr("depth") == sf * ratio + 2 == estimated_depth(model, before)
    # the first fold reads at the converter's rate: the unit's cycles count it, and still meet the target
    nf = inst.get_nodeattr("MH") // inst.get_nodeattr("PE")
    assert inst.get_exp_cycles() == sf * ratio + (nf - 1) * sf <= res.report["target_cycles"]
    images = rng.integers(0, 256, (4, 1, 8, 8)).astype(np.uint8)
    assert np.array_equal(execute_dataflow(model, images), run_network(net, images).scores)


def test_no_fifo_on_the_wide_side_of_a_widening_or_narrowing_node():
    net = random_network(np.random.default_rng(1), in_shape=(1, 8, 8))
    model = build_dataflow(net, CompileOptions(fps=2e5, variants="const")).model
    for node in model.graph.node:
        if node.op_type.startswith("ConvolutionInputGenerator") and getCustomOp(node).get_nodeattr("parallel_window"):
            assert model.find_consumer(node.output[0]).op_type.startswith("Snn")  # the window goes straight in
        if node.op_type.startswith("StreamingDataWidthConverter"):
            inst = getCustomOp(node)
            side = node.input[0] if inst.get_instream_width() > inst.get_outstream_width() else node.output[0]
            neighbour = model.find_producer(side) if side == node.input[0] else model.find_consumer(side)
            assert neighbour.op_type not in FIFO_OPS, node.name
    images = np.random.default_rng(2).integers(0, 256, (3, 1, 8, 8)).astype(np.uint8)
    assert np.array_equal(execute_dataflow(model, images), run_network(net, images).scores)


def test_report_counts_the_fifos_at_their_depths():
    net = pool_then_dense(np.random.default_rng(4))
    rep = build_dataflow(net, CompileOptions(fps=1e6, variants="generic")).report
    fifos = [g for g in rep["interconnect"] if g["op_type"] in FIFO_OPS]
    assert rep["fifos"]["count"] == len(fifos) > 0
    assert rep["fifos"]["LUT"] == sum(f["LUT"] for f in fifos) == fifo_totals(rep["interconnect"])["LUT"]
    assert any(f["depth"] > 2 for f in fifos)
    assert rep["totals"]["LUT"] == sum(l["LUT"] for l in rep["layers"]) + sum(g["LUT"] for g in rep["interconnect"])
    assert "estimated from each consumer's read pattern" in rep["fifos"]["method"]


@pytest.mark.parametrize("variants", ["generic", "auto", "const"])
def test_folding_chooses_a_variant_per_layer(variants):
    net = random_network(np.random.default_rng(1), in_shape=(1, 8, 8))
    rep = build_dataflow(net, CompileOptions(fps=2e5, variants=variants)).report  # 1000 cycles per frame
    chosen = {l["layer"]: l["nodes"][-1].get("variant") for l in rep["layers"] if l["kind"] != "SnnSpikePool"}
    assert set(chosen.values()) <= {"generic", "const"}
    if variants == "generic":
        assert set(chosen.values()) == {"generic"}
    if variants == "const":
        assert set(chosen.values()) == {"const"}  # a small network: every unit's constants meet the target
    for l in rep["layers"]:
        main = l["nodes"][-1]
        if main.get("variant") == "const":
            assert (l["SIMD"], l["DSP"], l["BRAM_18K"]) == (l["nodes"][-1]["SIMD"], 0, 0)
            if l["kind"] != "SnnInputMVU":  # a spike input: one timestep per cycle
                assert l["cycles"] >= net.T
        if variants != "generic" and main.get("variant"):
            assert re.search(r"const: SIMD=\d+ PE=\d+, \d+ cycles, \d+ LUT-eq", main["variant_costs"])
    assert rep["meets_target"]


def test_auto_takes_the_cheaper_variant():
    net = random_network(np.random.default_rng(1), in_shape=(1, 8, 8))
    model = build_dataflow(net, CompileOptions(fps=2e5)).model
    for node in model.graph.node:
        inst = getCustomOp(node)
        if "variantCosts" in inst.get_nodeattr_types() and inst.get_nodeattr("variantCosts"):
            costs = dict(re.findall(r"(generic|const): [^;]*?(\d+) LUT-eq", inst.get_nodeattr("variantCosts")))
            assert inst.get_nodeattr("variant") == min(costs, key=lambda v: int(costs[v]))


def test_hls_builds_and_unknown_variants():
    net = random_network(np.random.default_rng(1), in_shape=(1, 8, 8))
    rep = build_dataflow(net, CompileOptions(fps=2e5, impl="hls")).report
    assert {l["nodes"][-1].get("variant") for l in rep["layers"] if l["kind"] != "SnnSpikePool"} == {"generic"}
    with pytest.raises(ValueError, match=r"^variants must be one of auto, generic, const, not 'fast'$"):
        CompileOptions(variants="fast")
    with pytest.raises(ValueError, match=r"^variants must be one of"):
        SetSNNFolding(100, variants="x")
    assert VARIANT_CHOICES == ("auto", "generic", "const")


def proxy_result():
    rows = [{"name": "conv1_swg", "op_type": "ConvolutionInputGenerator_rtl", "ours": False, "arrival_ns": 4.6},
            {"name": "conv1", "op_type": "SnnInputMVU_rtl", "ours": True, "arrival_ns": 5.3},
            {"name": "StreamingFIFO_rtl_0", "op_type": "StreamingFIFO_rtl", "ours": False, "arrival_ns": 1.9},
            {"name": "fc2", "op_type": "SnnOutputMVU_rtl", "ours": True, "arrival_ns": None, "error": "timeout"}]
    summary = {"slowest_finn": {"name": "conv1_swg", "op_type": "ConvolutionInputGenerator_rtl", "arrival_ns": 4.6},
               "slowest_ours": {"name": "conv1", "op_type": "SnnInputMVU_rtl", "arrival_ns": 5.3},
               "ours_over_finn": ["conv1"], "not_timed": ["fc2"], "implied_clock_mhz": 188.7,
               "over_clock_period": ["conv1"]}
    return {"blocks": rows, "summary": summary}


def test_proxy_warnings_and_the_estimate_column():
    res = proxy_result()
    report = {"layers": [{"layer": "conv1", "nodes": [{"node": "conv1_swg"}, {"node": "conv1"}]},
                         {"layer": "fc2", "nodes": [{"node": "fc2"}]}]}
    w = proxy_warnings(res, 200.0)
    assert len(w) == 3
    assert w[0].startswith("timing proxy: conv1 (SnnInputMVU_rtl) arrives at 5.30 ns, later than the slowest FINN "
                           "block of this build, conv1_swg (ConvolutionInputGenerator_rtl, 4.60 ns)")
    assert "more than the 5.00 ns period of 200 MHz" in w[1]
    assert w[2] == "timing proxy: fc2 (SnnOutputMVU_rtl) could not be timed: timeout"
    lt = layer_timing(res, report)
    assert lt["conv1"] == {"arrival_ns": 5.3, "node": "conv1", "fmax_mhz": 188.7}
    assert "fc2" not in lt and lt["interconnect"]["node"] == "StreamingFIFO_rtl_0"
    text = timing_text(res, report)
    assert re.search(r"^conv1 +5\.30ns +188\.7  conv1$", text, re.M)
    assert "implied clock 188.7 MHz" in text


def test_estimate_shows_a_current_proxy_only(tmp_path, capsys):
    from flow.cli import main
    from hw.proxy import TIMING, design_digest

    build = tmp_path / "b"
    net = random_network(np.random.default_rng(2), in_shape=(1, 6, 6), pool=False)
    net.save(tmp_path / "n.snn.npz")
    assert main(["compile", str(tmp_path / "n.snn.npz"), "--fps", "20000", "--out", str(build)]) == 0
    capsys.readouterr()
    (build / "rtl").mkdir()
    (build / "rtl" / "a.sv").write_text("module a; endmodule\n")
    (build / "stitched.json").write_text("{}")
    report = json.loads((build / "report.json").read_text())
    names = [n["node"] for l in report["layers"] for n in l["nodes"]]
    res = {"blocks": [{"name": n, "op_type": "X_rtl", "ours": n.startswith(("conv", "fc")), "arrival_ns": 2.0}
                      for n in names],
           "summary": {"slowest_finn": None, "slowest_ours": None, "ours_over_finn": [], "not_timed": [],
                       "implied_clock_mhz": 500.0, "over_clock_period": []},
           "design": design_digest(build)}
    (build / TIMING).write_text(json.dumps(res))
    assert main(["estimate", str(build)]) == 0
    assert "timing proxy (Yosys latest arrival" in capsys.readouterr().out
    (build / "rtl" / "a.sv").write_text("module a; wire w; endmodule\n")  # the design changed: not shown
    assert main(["estimate", str(build)]) == 0
    assert "timing proxy: not run on this stitched design" in capsys.readouterr().out
