"""B: a minimal HWCustomOp (SpikeMaxPool, spike-word OR pooling) living in a third-party package
(notes/examples/b_pkg/dietsnn_toy/hw/ops{,/hls,/rtl}), tested two ways:

 1. in its own ONNX domains 'dietsnn_toy.hw.ops' / '.hls' / '.rtl'
    -> infer shapes / datatypes / python exec / InsertDWC / InsertFIFO work;
       FINN SpecializeLayers ignores the node; AnnotateCycles and res_estimation silently skip it.
 2. registered into FINN's domains (dietsnn_toy.hw.register.register_into_finn)
    -> FINN SpecializeLayers, AnnotateCycles, res_estimation, SetFolding (warns: unknown op type),
       PrepareIP (HLS C++/tcl codegen or our generate_hdl) all work without Vivado.

Run:  source scripts/env.sh && python notes/examples/b_hwcustomop_third_party.py
"""
import os, sys
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "b_pkg"))

from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.general import GiveUniqueNodeNames
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.basic import qonnx_make_model
from finn.analysis.fpgadataflow.res_estimation import res_estimation
from finn.transformation.fpgadataflow.annotate_cycles import AnnotateCycles
from finn.transformation.fpgadataflow.insert_dwc import InsertDWC
from finn.transformation.fpgadataflow.insert_fifo import InsertFIFO
from finn.transformation.fpgadataflow.prepare_ip import PrepareIP
from finn.transformation.fpgadataflow.set_exec_mode import SetExecMode
from finn.transformation.fpgadataflow.set_folding import SetFolding
from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers

P = "xczu3eg-sbva484-1-e"
T, H, W, C = 4, 8, 8, 6
DT = DataType[f"UINT{T}"]


def pool_node(inp, out, domain, op="SpikeMaxPool", hw=(H, W), pe=1, **kw):
    return helper.make_node(op, [inp], [out], domain=domain, backend="fpgadataflow",
                            ImgDim=list(hw), NumChannels=C, PE=pe, inputDataType=DT.name, **kw)


def one_node_model(domain):
    inp = helper.make_tensor_value_info("inp", TensorProto.FLOAT, [1, H, W, C])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, None)
    g = helper.make_graph([pool_node("inp", "out", domain, name="pool0")], "g", [inp], [out])
    m = ModelWrapper(qonnx_make_model(g, opset_imports=[helper.make_opsetid("", 11),
                                                        helper.make_opsetid(domain, 1)]))
    m.set_tensor_datatype("inp", DT)
    return m.transform(InferShapes()).transform(InferDataTypes())


def ref_pool(x):
    xi = x.astype(np.int64)
    return (xi[:, 0::2, 0::2] | xi[:, 0::2, 1::2] | xi[:, 1::2, 0::2] | xi[:, 1::2, 1::2]).astype(np.float32)


x = np.random.randint(0, 2 ** T, size=(1, H, W, C)).astype(np.float32)
ref = ref_pool(x)

print("=== 1. own domain ===")
m = one_node_model("dietsnn_toy.hw.ops")
print("shape", m.get_tensor_shape("out"), "dtype", m.get_tensor_datatype("out").name)
assert np.array_equal(execute_onnx(m, {"inp": x})["out"], ref)
print("python execute_onnx OK")
ms = m.transform(SpecializeLayers(P))
print("FINN SpecializeLayers leaves it alone:", [(n.op_type, n.domain) for n in ms.graph.node])


def own_specialize(model, style):
    """our own SpecializeLayers for domain dietsnn_toy.hw.ops -> dietsnn_toy.hw.ops.<style>"""
    g = model.graph
    for i, n in enumerate(list(g.node)):
        if n.domain == "dietsnn_toy.hw.ops":
            nn = helper.make_node(n.op_type + "_" + style, n.input, n.output,
                                  domain=n.domain + "." + style, name=n.name)
            nn.attribute.extend([a for a in n.attribute if a.name != "preferred_impl_style"])
            g.node.remove(n)
            g.node.insert(i, nn)
    return model.transform(GiveUniqueNodeNames())


ms = own_specialize(m, "hls")
print("own specialize:", [(n.op_type, n.domain) for n in ms.graph.node])
assert np.array_equal(execute_onnx(ms, {"inp": x})["out"], ref)
ms = ms.transform(AnnotateCycles())
inst = getCustomOp(ms.graph.node[0])
print("AnnotateCycles -> cycles_estimate", inst.get_nodeattr("cycles_estimate"),
      "(skipped!) although get_exp_cycles() =", inst.get_exp_cycles())
print("res_estimation ->", res_estimation(ms, P), "(skipped!)  node_res_estimation ->",
      inst.node_res_estimation(P))

# two own-domain nodes with different PE: InsertDWC / InsertFIFO work (they use is_fpgadataflow_node)
inp = helper.make_tensor_value_info("inp", TensorProto.FLOAT, [1, H, W, C])
out = helper.make_tensor_value_info("out", TensorProto.FLOAT, None)
n0 = pool_node("inp", "mid", "dietsnn_toy.hw.ops.hls", op="SpikeMaxPool_hls", pe=2, name="p0",
               outFIFODepths=[16])
n1 = pool_node("mid", "out", "dietsnn_toy.hw.ops.hls", op="SpikeMaxPool_hls", hw=(H // 2, W // 2),
               pe=3, name="p1")
m2 = ModelWrapper(qonnx_make_model(helper.make_graph([n0, n1], "g", [inp], [out])))
m2.set_tensor_datatype("inp", DT)
m2 = m2.transform(InferShapes()).transform(InferDataTypes())
m2 = m2.transform(InsertDWC()).transform(InsertFIFO())
m2 = m2.transform(SpecializeLayers(P)).transform(InferShapes()).transform(SetExecMode("cppsim"))
print("InsertDWC+InsertFIFO+SpecializeLayers:", [n.op_type for n in m2.graph.node])
assert np.array_equal(execute_onnx(m2, {"inp": x})["out"], ref_pool(ref))
print("chain execution OK")

print("=== 2. registered into FINN's domains ===")
from dietsnn_toy.hw.register import register_into_finn
register_into_finn()
m = one_node_model("finn.custom_op.fpgadataflow")
assert np.array_equal(execute_onnx(m, {"inp": x})["out"], ref)
for pref in ("hls", ""):
    getCustomOp(m.graph.node[0]).set_nodeattr("preferred_impl_style", pref)
    ms = m.transform(SpecializeLayers(P))
    print(f"SpecializeLayers(preferred_impl_style={pref!r}):",
          [(n.op_type, n.domain, n.name) for n in ms.graph.node])
    assert np.array_equal(execute_onnx(ms, {"inp": x})["out"], ref)
    ms = ms.transform(AnnotateCycles())
    print("  AnnotateCycles:", getCustomOp(ms.graph.node[0]).get_nodeattr("cycles_estimate"),
          " res_estimation:", res_estimation(ms, P))
    mf = ms.transform(SetFolding(100, two_pass_relaxation=False))
    print("  SetFolding PE:", getCustomOp(mf.graph.node[0]).get_nodeattr("PE"), "(unchanged)")
    mi = ms.transform(PrepareIP(P, 5.0))
    d = getCustomOp(mi.graph.node[0]).get_nodeattr("code_gen_dir_ipgen")
    print("  PrepareIP files:", sorted(os.listdir(d)))
