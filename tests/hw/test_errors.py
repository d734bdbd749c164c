"""Bad input to the lowering: unsupported ops, broken chains, impossible targets, unknown boards."""

import numpy as np
import pytest
from onnx import helper

from dietsnn.testing import random_network
from flow.cli import main
from dietsnn.netfile import NetFileError
from hw.boards import UnknownBoard, get_board
from hw.compile import CompileOptions, build_dataflow, compile_network
from hw.fold import FoldingError
from hw.lower.check import UnsupportedGraph
from hw.qonnx_export import to_qonnx
from hw.qonnx_import import load_network


def test_unsupported_op_is_named(rng, tmp_path):
    model = to_qonnx(random_network(rng))
    relu = helper.make_node("Relu", ["conv1_out"], ["relu_out"], name="my_relu")
    model.graph.node.insert(1, relu)
    model.graph.node[2].input[0] = "relu_out"
    model.save(str(tmp_path / "bad.onnx"))
    with pytest.raises(UnsupportedGraph, match=r"bad\.onnx: node my_relu: op Relu is not supported; expected one of"):
        load_network(tmp_path / "bad.onnx")


def test_layers_that_do_not_chain_are_rejected(rng, tmp_path):
    model = to_qonnx(random_network(rng))
    model.graph.node[2].input[0] = "conv1_out"  # skip the pool: conv2 would read 8x8 maps
    model.save(str(tmp_path / "skip.onnx"))
    with pytest.raises(UnsupportedGraph, match=r"node conv2: input 'conv1_out' does not follow the previous layer's output 'pool1_out'"):
        load_network(tmp_path / "skip.onnx")


def test_shapes_that_do_not_chain_name_the_field(rng, tmp_path):
    model = to_qonnx(random_network(rng))
    del model.graph.node[1]  # remove the pool and rewire: conv2's weights still fit, fc1's do not
    model.graph.node[1].input[0] = "conv1_out"
    model.save(str(tmp_path / "shape.onnx"))
    with pytest.raises(NetFileError, match=r"fc1\.weight: expected shape \(5, 384\) for input \(6, 8, 8\), got \(5, 96\)"):
        load_network(tmp_path / "shape.onnx")


def test_target_no_folding_can_meet_names_the_layer(rng):
    net = random_network(rng, in_shape=(1, 8, 8))
    with pytest.raises(FoldingError, match=r"^layer conv1 \(SnnInputMVU\) cannot reach the target of 20 cycles per frame"):
        build_dataflow(net, CompileOptions(fps=1e7))


def test_unknown_board():
    with pytest.raises(UnknownBoard, match=r"unknown board 'zcu999'; FINN's Zynq boards are: .*ZCU104"):
        get_board("zcu999")
    assert get_board("zcu104").part == "xczu7ev-ffvc1156-2-e"


def test_malformed_network_file_through_the_cli(tmp_path, capsys):
    (tmp_path / "n.snn.npz").write_bytes(b"not a zip")
    assert main(["compile", str(tmp_path / "n.snn.npz"), "--out", str(tmp_path / "b")]) == 2
    assert "n.snn.npz: not a readable .npz archive" in capsys.readouterr().err


def test_compile_from_qonnx_file_writes_the_build(rng, tmp_path):
    net = random_network(rng)
    to_qonnx(net).save(str(tmp_path / "m.onnx"))
    report = compile_network(tmp_path / "m.onnx", tmp_path / "build", CompileOptions(fps=1e5))
    for f in ("dataflow.onnx", "folding_config.json", "report.json", "report.txt", "network.snn.npz"):
        assert (tmp_path / "build" / f).is_file()
    assert report["meets_target"] and [l["layer"] for l in report["layers"]] == ["conv1", "pool1", "conv2", "fc1", "fc2"]
