"""A: minimal third-party qonnx custom op that passes execute_onnx, infer_shapes, InferDataTypes.

Run:  source scripts/env.sh && python notes/examples/a_qonnx_custom_op.py
The op module is written to a temp dir and put on sys.path (domain == module path).
"""
import os, sys, tempfile, textwrap
import numpy as np
from onnx import TensorProto, helper
import onnx

tmp = tempfile.mkdtemp()
os.makedirs(os.path.join(tmp, "toyops"))
open(os.path.join(tmp, "toyops", "__init__.py"), "w").close()
with open(os.path.join(tmp, "toyops", "qonnx_ops.py"), "w") as f:
    f.write(textwrap.dedent('''
        import numpy as np
        from qonnx.core.datatype import DataType
        from qonnx.custom_op.base import CustomOp

        class SpikeAccum(CustomOp):
            """Sum a (1, T, C) spike tensor over T."""
            def get_nodeattr_types(self):
                return {"T": ("i", True, 0), "C": ("i", True, 0)}
            def make_shape_compatible_op(self, model):
                return self.make_const_shape_op([1, self.get_nodeattr("C")])
            def infer_node_datatype(self, model):
                T = self.get_nodeattr("T")
                bits = int(np.ceil(np.log2(T + 1)))
                model.set_tensor_datatype(self.onnx_node.output[0], DataType[f"UINT{bits}"])
            def execute_node(self, context, graph):
                x = context[self.onnx_node.input[0]]
                context[self.onnx_node.output[0]] = x.sum(axis=1).astype(np.float32)
            def verify_node(self):
                return []

        __all__ = ["SpikeAccum"]          # fast discovery path
        custom_op = {"SpikeAccum": SpikeAccum}  # legacy dict path (optional)
    '''))
sys.path.insert(0, tmp)

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.datatype import DataType
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.basic import qonnx_make_model
from qonnx.custom_op.registry import getCustomOp, is_custom_op

T, C = 4, 3
inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, T, C])
out = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)  # shape left for inference
node = helper.make_node("SpikeAccum", ["x"], ["y"], domain="toyops.qonnx_ops", T=T, C=C)
graph = helper.make_graph([node], "g", [inp], [out])
model = qonnx_make_model(
    graph,
    opset_imports=[helper.make_opsetid("", 11), helper.make_opsetid("toyops.qonnx_ops", 1)],
)
model = ModelWrapper(model)
model.set_tensor_datatype("x", DataType["UINT1"])

assert is_custom_op("toyops.qonnx_ops", "SpikeAccum")
model = model.transform(InferShapes())
print("shape y:", model.get_tensor_shape("y"))
model = model.transform(InferDataTypes())
print("dtype y:", model.get_tensor_datatype("y"))
x = np.random.randint(0, 2, size=(1, T, C)).astype(np.float32)
y = execute_onnx(model, {"x": x})["y"]
assert np.array_equal(y, x.sum(1)), (y, x.sum(1))
print("execute_onnx OK", y)
# onnx checker: passes with the custom domain in opset_import
onnx.checker.check_model(model.model)
print("onnx.checker OK")
model.save(os.path.join(tmp, "toy.onnx"))
m2 = ModelWrapper(os.path.join(tmp, "toy.onnx"))
print("reload + execute OK", execute_onnx(m2, {"x": x})["y"])
print("cached class:", type(getCustomOp(m2.graph.node[0])))
