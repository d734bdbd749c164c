"""``ToChannelsLast``: the graph input and every 4-D tensor become NHWC, as FINN streams them.

The first dense layer after a feature map reads it flattened in NHWC order, so
its weight columns are permuted from PyTorch's ``(C, H, W)`` order to
``(H, W, C)`` here; the model computes the same scores before and after.
"""

from __future__ import annotations

from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_shapes import InferShapes

from ..qonnx_ops.base import DOMAIN


class ToChannelsLast(Transformation):
    def apply(self, model):
        graph = model.graph
        inp = graph.input[0]
        shape = model.get_tensor_shape(inp.name)
        if len(shape) != 4 or all(getCustomOp(n).get_nodeattr("data_layout") == "NHWC"
                                  for n in graph.node if n.domain == DOMAIN):
            return model, False
        n, c, h, w = shape
        model.set_tensor_shape(inp.name, [n, h, w, c])
        for node in graph.node:
            if node.domain == DOMAIN:
                getCustomOp(node).set_nodeattr("data_layout", "NHWC")
            elif node.op_type == "Flatten":
                consumer = model.find_consumer(node.output[0])
                fc, fh, fw = self._chw(model, node)
                wname = consumer.input[1]
                wt = model.get_initializer(wname)
                o = wt.shape[0]
                model.set_initializer(wname, wt.reshape(o, fc, fh, fw).transpose(0, 2, 3, 1).reshape(o, -1))
        for vi in list(graph.value_info):  # stale NCHW shapes; InferShapes recomputes them
            graph.value_info.remove(vi)
        return model.transform(InferShapes()), False

    @staticmethod
    def _chw(model, flatten_node):
        producer = model.find_producer(flatten_node.input[0])
        inst = getCustomOp(producer)
        layer = inst.to_layer([model.get_initializer(i) for i in producer.input[1:]])
        return layer.output_shape(tuple(inst.get_nodeattr("in_shape")))
