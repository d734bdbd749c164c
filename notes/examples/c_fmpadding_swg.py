"""C: FINN FMPadding + ConvolutionInputGenerator created by hand on UINT5 data,
python execution, im2col order check, SpecializeLayers -> *_rtl, PrepareIP (HDL codegen),
AnnotateCycles / res_estimation / SetFolding / InsertFIFO / InsertDWC.  No Vivado needed.

Run:  source scripts/env.sh && python notes/examples/c_fmpadding_swg.py
"""
import os
import numpy as np
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
from finn.analysis.fpgadataflow.exp_cycles_per_layer import exp_cycles_per_layer
from finn.transformation.fpgadataflow.annotate_cycles import AnnotateCycles
from finn.transformation.fpgadataflow.insert_dwc import InsertDWC
from finn.transformation.fpgadataflow.insert_fifo import InsertFIFO
from finn.transformation.fpgadataflow.prepare_ip import PrepareIP
from finn.transformation.fpgadataflow.set_exec_mode import SetExecMode
from finn.transformation.fpgadataflow.set_folding import SetFolding
from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers

H = W = 28
C = 4
K = 3
PAD = 1
FPGAPART = "xczu3eg-sbva484-1-e"
dt = DataType["UINT5"]

inp = helper.make_tensor_value_info("inp", TensorProto.FLOAT, [1, H, W, C])
mid = helper.make_tensor_value_info("padded", TensorProto.FLOAT, [1, H + 2 * PAD, W + 2 * PAD, C])
outp = helper.make_tensor_value_info("outp", TensorProto.FLOAT, [1, H, W, K * K * C])
pad_node = helper.make_node(
    "FMPadding", ["inp"], ["padded"],
    domain="finn.custom_op.fpgadataflow", backend="fpgadataflow",
    ImgDim=[H, W],                 # [H, W]
    Padding=[PAD, PAD, PAD, PAD],  # [H_begin, W_begin, H_end, W_end]
    NumChannels=C,
    SIMD=1,                        # must divide NumChannels
    inputDataType=dt.name,
    numInputVectors=1,
    name="FMPadding_0",
)
swg_node = helper.make_node(
    "ConvolutionInputGenerator", ["padded"], ["outp"],
    domain="finn.custom_op.fpgadataflow", backend="fpgadataflow",
    ConvKernelDim=[K, K],
    IFMChannels=C,
    IFMDim=[H + 2 * PAD, W + 2 * PAD],   # the *padded* dims (SWG itself never pads)
    OFMDim=[H, W],                       # required; get_normal_output_shape recomputes it
    SIMD=1,
    Stride=[1, 1],
    Dilation=[1, 1],
    inputDataType=dt.name,
    outputDataType=dt.name,
    depthwise=0,
    is1D=0,
    name="ConvolutionInputGenerator_0",
)
graph = helper.make_graph([pad_node, swg_node], "swg_test", [inp], [outp], value_info=[mid])
model = ModelWrapper(qonnx_make_model(graph, producer_name="c_test"))
model.set_tensor_datatype("inp", dt)
model = model.transform(InferShapes())
model = model.transform(InferDataTypes())
print("dtypes:", [model.get_tensor_datatype(t).name for t in ("inp", "padded", "outp")])

x = np.random.randint(0, 32, size=(1, H, W, C)).astype(np.float32)


def ref_im2col(x):
    xp = np.pad(x, ((0, 0), (PAD, PAD), (PAD, PAD), (0, 0)))
    out = np.zeros((1, H, W, K * K * C), np.float32)
    for oy in range(H):
        for ox in range(W):
            win = xp[0, oy:oy + K, ox:ox + K, :]  # (kh, kw, c)
            out[0, oy, ox] = win.reshape(-1)      # flatten order (kh, kw, c), c fastest
    return out


ref = ref_im2col(x)
y = execute_onnx(model, {"inp": x})["outp"]
assert np.array_equal(y, ref), "python exec mismatch"
print("abstraction layers: python execution == im2col with last axis order (kh, kw, c)")
# also show the (c, kh, kw) order is NOT what FINN produces
alt = ref.reshape(1, H, W, K, K, C).transpose(0, 1, 2, 5, 3, 4).reshape(1, H, W, -1)
print("equals (c,kh,kw) order?", np.array_equal(y, alt))

print("exp cycles (abstraction):", {n.name: getCustomOp(n).get_exp_cycles() for n in model.graph.node})

# ---- SpecializeLayers -> *_rtl (no Vivado) ----
model_rtl = model.transform(SpecializeLayers(FPGAPART))
print("specialized:", [(n.op_type, n.domain) for n in model_rtl.graph.node])

# exec_mode "" on the _rtl nodes: execute_node silently does nothing (output stays zeros)
y0 = execute_onnx(model_rtl, {"inp": x})["outp"]
print("rtl nodes exec_mode='' -> output all zero?", not y0.any())
# exec_mode "cppsim" on RTL nodes -> falls back to python model of the parent op
model_rtl = model_rtl.transform(SetExecMode("cppsim"))
y1 = execute_onnx(model_rtl, {"inp": x})["outp"]
assert np.array_equal(y1, ref)
print("rtl nodes exec_mode='cppsim' -> python parent execution OK")

# ---- estimates ----
model_rtl = model_rtl.transform(GiveUniqueNodeNames())
model_rtl = model_rtl.transform(AnnotateCycles())
print("cycles_estimate:", {n.name: getCustomOp(n).get_nodeattr("cycles_estimate") for n in model_rtl.graph.node})
print("exp_cycles_per_layer:", model_rtl.analysis(exp_cycles_per_layer))
print("res_estimation:", model_rtl.analysis(lambda m: res_estimation(m, FPGAPART)))

# ---- SetFolding (target cycles) ----
mf = model_rtl.transform(SetFolding(target_cycles_per_frame=1000))
print("after SetFolding(1000):", {n.name: (getCustomOp(n).get_nodeattr("SIMD"),
      getCustomOp(n).get_nodeattr("parallel_window") if "Convolution" in n.op_type else None,
      getCustomOp(n).get_exp_cycles()) for n in mf.graph.node})

# ---- InsertDWC / InsertFIFO ----
# give the SWG a different SIMD than the padder so a DWC is needed
getCustomOp(model_rtl.graph.node[0]).set_nodeattr("SIMD", 4)
getCustomOp(model_rtl.graph.node[1]).set_nodeattr("SIMD", 2)
m2 = model_rtl.transform(InsertDWC())
print("after InsertDWC:", [(n.op_type, n.domain) for n in m2.graph.node])
m2 = m2.transform(InsertFIFO(create_shallow_fifos=True))
print("after InsertFIFO:", [(n.op_type, n.domain) for n in m2.graph.node])
m2 = m2.transform(SpecializeLayers(FPGAPART))
print("after 2nd SpecializeLayers:", [n.op_type for n in m2.graph.node])
m2 = m2.transform(InferShapes()).transform(SetExecMode("cppsim"))
y2 = execute_onnx(m2, {"inp": x})["outp"]
print("exec with DWC+FIFO (cppsim=python fallback) OK:", np.array_equal(y2, ref))

# ---- HDL code generation only (no Vivado): PrepareIP calls generate_hdl for RTL nodes ----
m3 = model_rtl.transform(PrepareIP(FPGAPART, 5.0))
for n in m3.graph.node:
    d = getCustomOp(n).get_nodeattr("code_gen_dir_ipgen")
    print(n.name, "->", d, sorted(os.listdir(d)))
    print("   rtl file list:", getCustomOp(n).get_rtl_file_list(abspath=True))
