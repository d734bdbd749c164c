"""D: qonnx Im2Col (with padding) -> FINN InferConvInpGen -> FMPadding + ConvolutionInputGenerator.
Checks that the lowered pair executes identically to the Im2Col node (python), and shows the
attributes InferConvInpGen sets.  The consumer of Im2Col is irrelevant to InferConvInpGen
(here: a plain ONNX MatMul standing in for our own MVU-like node).

Run:  source scripts/env.sh && python notes/examples/d_im2col_inferconvinpgen.py
"""
import numpy as np
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.basic import qonnx_make_model
# NB: in finn-plus 1.6.1 there is no convert_to_hw_layers.py; it is a package convert_to_hw/
from finn.transformation.fpgadataflow.convert_to_hw.conv_inp_gen import InferConvInpGen

H = W = 10
C, K, OC, T = 4, 3, 5, 8
inp = helper.make_tensor_value_info("inp", TensorProto.FLOAT, [1, H, W, C])
out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, H, W, OC])
i2c = helper.make_node(
    "Im2Col", ["inp"], ["cols"], domain="qonnx.custom_op.general",
    stride=[1, 1], kernel_size=[K, K], input_shape=f"(1,{H},{W},{C})",
    pad_amount=[1, 1, 1, 1], pad_value=0, dilations=[1, 1], depthwise=0,
)
mm = helper.make_node("MatMul", ["cols", "w"], ["out"])
g = helper.make_graph([i2c, mm], "g", [inp], [out])
model = ModelWrapper(qonnx_make_model(g))
model.set_initializer("w", np.random.randint(-2, 3, size=(K * K * C, OC)).astype(np.float32))
model.set_tensor_datatype("inp", DataType[f"UINT{T}"])   # spike words, T=8 timesteps
model.set_tensor_datatype("w", DataType["INT3"])
model = model.transform(InferShapes()).transform(InferDataTypes())
x = np.random.randint(0, 2 ** T, size=(1, H, W, C)).astype(np.float32)
ref = execute_onnx(model, {"inp": x}, return_full_exec_context=True)

m2 = model.transform(InferConvInpGen())
for n in m2.graph.node:
    print(n.op_type, n.domain, {a.name: helper.get_attribute_value(a) for a in n.attribute})
got = execute_onnx(m2, {"inp": x}, return_full_exec_context=True)
assert np.array_equal(got["cols"], ref["cols"]) and np.array_equal(got["out"], ref["out"])
print("InferConvInpGen result == Im2Col result (python exec)")
