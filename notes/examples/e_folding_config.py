"""E: FINN folding config JSON round trip (extract_model_config_to_json / ApplyConfig) and a
small SetFolding-style pass for third-party ops (same divisor-walk logic as FINN's
SetFolding.optimize_attribute_val), combined with FINN's SetFolding for FINN's own ops.

Run:  source scripts/env.sh && python notes/examples/e_folding_config.py
"""
import json, os, sys, tempfile
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "b_pkg"))
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation
from qonnx.transformation.general import GiveUniqueNodeNames
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.basic import qonnx_make_model
from finn.analysis.fpgadataflow.dataflow_performance import dataflow_performance
from finn.transformation.fpgadataflow.annotate_cycles import AnnotateCycles
from finn.transformation.fpgadataflow.set_folding import SetFolding, divisors
from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers
from finn.transformation.general import ApplyConfig
from finn.util.config import extract_model_config_to_json
from dietsnn_toy.hw.register import register_into_finn

register_into_finn()
P = "xczu3eg-sbva484-1-e"
T, H, W, C, K = 4, 16, 16, 8, 3
DT = DataType[f"UINT{T}"]
FD = "finn.custom_op.fpgadataflow"
inp = helper.make_tensor_value_info("inp", TensorProto.FLOAT, [1, H, W, C])
out = helper.make_tensor_value_info("out", TensorProto.FLOAT, None)
nodes = [
    helper.make_node("FMPadding", ["inp"], ["pad"], domain=FD, backend="fpgadataflow",
                     ImgDim=[H, W], Padding=[1, 1, 1, 1], NumChannels=C, SIMD=1, inputDataType=DT.name),
    helper.make_node("ConvolutionInputGenerator", ["pad"], ["swg"], domain=FD, backend="fpgadataflow",
                     ConvKernelDim=[K, K], IFMChannels=C, IFMDim=[H + 2, W + 2], OFMDim=[H, W], SIMD=1,
                     Stride=[1, 1], Dilation=[1, 1], inputDataType=DT.name, outputDataType=DT.name),
    # stand-in for our LIF-conv MVU: pool on the (1,H,W,K*K*C) window stream just to have a 3rd-party op
    helper.make_node("SpikeMaxPool", ["swg"], ["out"], domain=FD, backend="fpgadataflow",
                     ImgDim=[H, W], NumChannels=K * K * C, PE=1, inputDataType=DT.name),
]
m = ModelWrapper(qonnx_make_model(helper.make_graph(nodes, "g", [inp], [out])))
m.set_tensor_datatype("inp", DT)
m = m.transform(InferShapes()).transform(InferDataTypes())
m = m.transform(SpecializeLayers(P)).transform(GiveUniqueNodeNames()).transform(InferShapes())


class SetFoldingThirdParty(Transformation):
    """SetFolding logic for our ops: walk the divisors of the max value of the folding attribute
    (ascending) until get_exp_cycles() <= target.  FOLD_ATTRS maps op_type -> list of
    (attribute, callable giving its maximum)."""

    FOLD_ATTRS = {
        "SpikeMaxPool_hls": [("PE", lambda i: i.get_nodeattr("NumChannels"))],
        "SpikeMaxPool_rtl": [("PE", lambda i: i.get_nodeattr("NumChannels"))],
    }

    def __init__(self, target_cycles_per_frame):
        super().__init__()
        self.target = target_cycles_per_frame

    def apply(self, model):
        for node in model.graph.node:
            if node.op_type not in self.FOLD_ATTRS:
                continue
            inst = getCustomOp(node)
            for attr, maxfn in self.FOLD_ATTRS[node.op_type]:
                inst.set_nodeattr(attr, 1)
            for attr, maxfn in self.FOLD_ATTRS[node.op_type]:
                for val in divisors(int(maxfn(inst))):
                    inst.set_nodeattr(attr, int(val))    # must be a python int (qonnx type check)
                    if inst.get_exp_cycles() <= self.target:
                        break
                else:
                    continue
                break
        return model, False


target = 2000
m = m.transform(SetFoldingThirdParty(target))
m = m.transform(SetFolding(target, two_pass_relaxation=False))   # FINN ops; warns for ours
m = m.transform(AnnotateCycles())
print({n.name: getCustomOp(n).get_nodeattr("cycles_estimate") for n in m.graph.node})
print("dataflow_performance:", m.analysis(dataflow_performance))

tmp = tempfile.mkdtemp()
cfg = os.path.join(tmp, "folding.json")
extract_model_config_to_json(m, cfg, ["PE", "SIMD", "parallel_window", "ram_style", "resType", "mem_mode"])
print(open(cfg).read())
# hand-edit and re-apply; "Defaults": {attr: [value, [op_types]]  or  [value, "all"]}
conf = json.load(open(cfg))
conf["Defaults"] = {"ram_style": ["block", ["ConvolutionInputGenerator_rtl"]]}
conf["SpikeMaxPool_rtl_0"]["PE"] = 72
del conf["ConvolutionInputGenerator_rtl_0"]["ram_style"]  # a per-node value would override Defaults
json.dump(conf, open(cfg, "w"), indent=2)
m = m.transform(ApplyConfig(cfg))
print("after ApplyConfig:", {n.name: (getCustomOp(n).get_nodeattr("PE") if "Spike" in n.op_type else
       getCustomOp(n).get_nodeattr("SIMD")) for n in m.graph.node},
      getCustomOp(m.graph.node[1]).get_nodeattr("ram_style"))
