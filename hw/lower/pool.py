"""``LowerSpikePool``: ``SpikeMaxPool`` (NHWC) -> the project's ``SnnSpikePool``."""

from __future__ import annotations

from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from dietsnn.vocab import Kind

from ..qonnx_ops.base import DOMAIN
from ..vocab import names
from .common import hw_node

POOL = names(Kind.SPIKE_MAXPOOL)  #: SpikeMaxPool -> SnnSpikePool


class LowerSpikePool(Transformation):
    def apply(self, model):
        graph = model.graph
        for index, node in enumerate(graph.node):
            if node.domain != DOMAIN or node.op_type != POOL.qonnx_op:
                continue
            inst = getCustomOp(node)
            if inst.get_nodeattr("data_layout") != "NHWC":
                raise ValueError(f"node {node.name}: run ToChannelsLast before LowerSpikePool")
            c, h, w = inst.get_nodeattr("in_shape")
            T = inst.get_nodeattr("T")
            new = hw_node(POOL.finn_op, [node.input[0]], [node.output[0]], node.name, ImgDim=[h, w],
                          NumChannels=c, Kernel=list(inst.get_nodeattr("kernel")),
                          Stride=list(inst.get_nodeattr("stride")), PE=1, T=T,
                          inputDataType=model.get_tensor_datatype(node.input[0]).name)
            graph.node.remove(node)
            graph.node.insert(index, new)
            return model, True
        return model, False
