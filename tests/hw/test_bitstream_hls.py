"""IMPL=hls: the HLS sources generated for every ``_hls`` layer of a build compile with g++ and their
C simulation gives the reference's output (issue 6, acceptance 3).

The build is compiled with ``--impl hls`` and stitched (which runs each HLS
node's code generation into ``BUILD/ip/<layer>/``); the generated folder itself
(top function, C-simulation main, the copied kernel headers) is compiled with
g++ (``hw.hls_gen.csim``). Each layer's input and expected output come from
the Python execution of the dataflow graph on one image, whose project ops
compute with ``dietsnn.ref`` (one reference per op).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp

from dietsnn.ref.streams import pack_beats, word_spikes
from dietsnn.testing import fmnist_available, random_network
from hw import hls_gen
from hw.compile import CompileOptions, compile_network, load_dataflow
from hw.execute import set_python_exec
from hw.hls_gen import HLS_TCL, hls_top
from flow.stitch import stitch_build

ROOT = Path(__file__).resolve().parents[2]


def _beats(inst, values: np.ndarray, output: bool) -> list[int]:
    """Stream beats of a node's input or output tensor, as its folding packs them."""
    dt = inst.get_output_datatype() if output else inst.get_input_datatype(0)
    per_beat = inst.get_folded_output_shape()[-1] if output else inst.get_folded_input_shape()[-1]
    return pack_beats(np.rint(values).astype(np.int64).reshape(-1), dt.bitwidth(), per_beat, signed=dt.signed())


def check_generated_hls(build: Path, image: np.ndarray) -> list[str]:
    """Compile and run the C simulation of every HLS layer of ``build`` on the tensors of one image."""
    model = set_python_exec(load_dataflow(build))
    inp = model.graph.input[0].name
    x = image.transpose(1, 2, 0)[None].astype(np.float32)  # CHW -> NHWC
    ctx = execute_onnx(model, {inp: x}, return_full_exec_context=True)
    checked = []
    for node in model.graph.node:
        if not node.op_type.endswith("_hls"):
            continue
        inst = getCustomOp(node)
        folder = build / "ip" / node.name
        assert (folder / HLS_TCL).is_file() and (folder / f"{hls_top(node.name)}.cpp").is_file()
        binary = hls_gen.csim(folder)  # g++ on the generated folder itself
        out = hls_gen.run_csim(binary, _beats(inst, ctx[node.input[0]], output=False))
        expected = ctx[node.output[0]]
        assert out == _beats(inst, expected, output=True), f"layer {node.name}: C simulation != dietsnn.ref"
        if node.op_type != "SnnOutputMVU_hls":
            rate = word_spikes(np.rint(expected).astype(np.int64), inst.get_nodeattr("T")).mean()
            assert 0 < rate < 1, f"layer {node.name}: degenerate check, spike rate {rate}"
        checked.append(node.op_type)
    return checked


def _hls_build(net_file: Path, build: Path, fps: float) -> Path:
    compile_network(net_file, build, CompileOptions(fps=fps, impl="hls"))
    stitch_build(build, 0)
    return build


def test_generated_hls_of_a_small_network(rng, tmp_path):
    net = random_network(rng, in_shape=(1, 8, 8))
    build = _hls_build(net.save(tmp_path / "net.snn.npz"), tmp_path / "build", fps=20000)
    image = rng.integers(0, 256, net.input_shape).astype(np.uint8)
    checked = check_generated_hls(build, image)
    assert sorted(set(checked)) == ["SnnInputMVU_hls", "SnnLIFMVU_hls", "SnnOutputMVU_hls", "SnnSpikePool_hls"]
    meta = json.loads((build / "stitched.json").read_text())
    assert {n["op_type"] for n in meta["nodes"]} >= set(checked)
    assert "conv1.sv" in meta["sources"]  # the wrapper with FINN's port names around conv1_hls


def test_generated_hls_of_fmnist(tmp_path):
    """Every HLS layer of the shipped fmnist network, on a Fashion-MNIST test image when the data is installed."""
    if fmnist_available():
        from dietsnn.datasets import load_fmnist_arrays

        image = load_fmnist_arrays("test")[0][0]
        image = image.reshape(1, 28, 28) if image.ndim == 2 else image
    else:
        image = np.random.default_rng(0).integers(0, 256, (1, 28, 28)).astype(np.uint8)
    build = _hls_build(ROOT / "models" / "fmnist" / "network.snn.npz", tmp_path / "fmnist", fps=50000)
    checked = check_generated_hls(build, image)
    assert checked == ["SnnInputMVU_hls", "SnnSpikePool_hls", "SnnLIFMVU_hls", "SnnSpikePool_hls", "SnnLIFMVU_hls",
                       "SnnOutputMVU_hls"]
