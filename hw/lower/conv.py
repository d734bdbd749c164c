"""``LowerSpikingConv``: ``InputLIF`` / ``LIFConv`` (NHWC) -> FINN ``FMPadding`` + ``ConvolutionInputGenerator``
+ the project's ``SnnInputMVU`` / ``SnnLIFMVU``.

The sliding window emits each window in ``(kh, kw, c)`` order (FINN's), so the
PyTorch ``(O, C, KH, KW)`` weights become the ``(KH*KW*C, O)`` matrix in that row
order. Zero padding is a zero pixel or "no spike", as SPEC section 3 says.
"""

from __future__ import annotations

from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from dietsnn.vocab import CONV_KINDS

from ..qonnx_ops.base import DOMAIN
from ..vocab import by_qonnx_op, names
from .common import add_param, add_tensor, hw_node, layer_of, widths_of


CONV_OPS = tuple(names(k).qonnx_op for k in sorted(CONV_KINDS))  #: InputLIF, LIFConv


class LowerSpikingConv(Transformation):
    def apply(self, model):
        graph = model.graph
        for index, node in enumerate(graph.node):
            if node.domain != DOMAIN or node.op_type not in CONV_OPS:
                continue
            inst = getCustomOp(node)
            if inst.get_nodeattr("data_layout") != "NHWC":
                raise ValueError(f"node {node.name}: run ToChannelsLast before LowerSpikingConv")
            layer = layer_of(model, node, inst)
            T = inst.get_nodeattr("T")
            c, h, w = inst.get_nodeattr("in_shape")
            o, _, kh, kw = layer.weight.shape
            oc, oh, ow = layer.output_shape((c, h, w))
            top, left, bottom, right = layer.pad
            idt = model.get_tensor_datatype(node.input[0])
            wd = widths_of(layer, model, node, T)
            new, x = [], node.input[0]
            if any(layer.pad):
                padded = f"{node.name}_padded"
                new.append(hw_node("FMPadding", [x], [padded], f"{node.name}_pad", ImgDim=[h, w],
                                   Padding=[top, left, bottom, right], NumChannels=c, SIMD=1,
                                   inputDataType=idt.name, numInputVectors=1))
                add_tensor(model, padded, [1, h + top + bottom, w + left + right, c], idt)
                x = padded
            windows = f"{node.name}_windows"
            new.append(hw_node("ConvolutionInputGenerator", [x], [windows], f"{node.name}_swg",
                               ConvKernelDim=[kh, kw], IFMChannels=c, IFMDim=[h + top + bottom, w + left + right],
                               OFMDim=[oh, ow], SIMD=1, Stride=list(layer.stride), Dilation=[1, 1],
                               inputDataType=idt.name, outputDataType=idt.name, depthwise=0))
            add_tensor(model, windows, [1, oh, ow, kh * kw * c], idt)
            wname, bname, tname = (f"{node.name}.W", f"{node.name}.b", f"{node.name}.theta")
            wdt = model.get_tensor_datatype(node.input[1])
            add_param(model, wname, layer.weight.transpose(2, 3, 1, 0).reshape(kh * kw * c, o), wdt)
            add_param(model, bname, layer.bias, model.get_tensor_datatype(node.input[2]))
            add_param(model, tname, layer.theta, model.get_tensor_datatype(node.input[3]))
            op = by_qonnx_op(node.op_type).finn_op
            new.append(hw_node(op, [windows, wname, bname, tname], [node.output[0]], node.name,
                               MW=kh * kw * c, MH=o, SIMD=1, PE=1, T=T, numInputVectors=[1, oh, ow],
                               inputDataType=idt.name, weightDataType=wdt.name, leak_shift=layer.leak_shift,
                               accBits=wd.acc_bits, stateBits=wd.state_bits))
            graph.node.remove(node)
            for k, n in enumerate(new):
                graph.node.insert(index + k, n)
            return model, True
        return model, False
