"""``CheckSupported``: reject graphs the lowering cannot take, naming the node."""

from __future__ import annotations

from qonnx.transformation.base import Transformation

from ..qonnx_ops.base import DOMAIN
from ..vocab import QONNX_OPS


class UnsupportedGraph(ValueError):
    """A node or graph shape the lowering does not support."""


class CheckSupported(Transformation):
    """Every node is one of the project's ops (or the Flatten before a dense layer) in a single chain."""

    def apply(self, model):
        graph = model.graph
        if len(graph.input) != 1 or len(graph.output) != 1:
            raise UnsupportedGraph(f"expected one graph input and one output, got {len(graph.input)} and {len(graph.output)}")
        prev = graph.input[0].name
        for node in graph.node:
            if node.op_type == "Flatten" and node.domain == "":
                pass
            elif node.domain != DOMAIN or node.op_type not in QONNX_OPS:
                raise UnsupportedGraph(
                    f"node {node.name or '(unnamed)'}: op {node.domain + '.' if node.domain else ''}{node.op_type} is not "
                    f"supported; expected one of {sorted(QONNX_OPS)} (domain {DOMAIN}) or Flatten")
            if node.input[0] != prev:
                raise UnsupportedGraph(f"node {node.name}: input {node.input[0]!r} does not follow the previous "
                                       f"layer's output {prev!r} (only chains are supported)")
            if len(node.output) != 1:
                raise UnsupportedGraph(f"node {node.name}: expected one output")
            prev = node.output[0]
        if prev != graph.output[0].name:
            raise UnsupportedGraph(f"the last node's output {prev!r} is not the graph output {graph.output[0].name!r}")
        return model, False
