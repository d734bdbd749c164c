"""``LowerSpikingDense``: ``Flatten`` + ``LIFDense`` / ``OutputAccumulate`` -> ``SnnLIFMVU`` / ``SnnOutputMVU``.

The stream already carries the flattened vector (NHWC order, to which
``ToChannelsLast`` permuted the weight columns), so the Flatten disappears.
"""

from __future__ import annotations

from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from dietsnn.vocab import DENSE_KINDS

from ..qonnx_ops.base import DOMAIN
from ..vocab import by_qonnx_op, names
from .common import add_param, hw_node, layer_of, widths_of


DENSE_OPS = tuple(names(k).qonnx_op for k in sorted(DENSE_KINDS))  #: LIFDense, OutputAccumulate


class LowerSpikingDense(Transformation):
    def apply(self, model):
        graph = model.graph
        for index, node in enumerate(graph.node):
            if node.domain != DOMAIN or node.op_type not in DENSE_OPS:
                continue
            inst = getCustomOp(node)
            layer = layer_of(model, node, inst)
            T = inst.get_nodeattr("T")
            o, f = layer.weight.shape
            src = node.input[0]
            producer = model.find_producer(src)
            if producer is not None and producer.op_type == "Flatten":
                src = producer.input[0]
                graph.node.remove(producer)
                index -= 1
            idt = model.get_tensor_datatype(src)
            wd = widths_of(layer, model, node, T)
            wname, bname = f"{node.name}.W", f"{node.name}.b"
            wdt = model.get_tensor_datatype(node.input[1])
            add_param(model, wname, layer.weight.T, wdt)
            add_param(model, bname, layer.bias, model.get_tensor_datatype(node.input[2]))
            inputs = [src, wname, bname]
            attrs = dict(MW=f, MH=o, SIMD=1, PE=1, T=T, numInputVectors=[1], inputDataType=idt.name,
                         weightDataType=wdt.name, accBits=wd.acc_bits, stateBits=wd.state_bits)
            row = by_qonnx_op(node.op_type)
            if row.kind.is_lif:
                tname = f"{node.name}.theta"
                add_param(model, tname, layer.theta, model.get_tensor_datatype(node.input[3]))
                inputs.append(tname)
                new = hw_node(row.finn_op, inputs, [node.output[0]], node.name, leak_shift=layer.leak_shift, **attrs)
            else:
                new = hw_node(row.finn_op, inputs, [node.output[0]], node.name, **attrs)
            graph.node.remove(node)
            graph.node.insert(index, new)
            return model, True
        return model, False
