"""Abstraction-layer HW ops. ONNX domain 'dietsnn_toy.hw.ops' == this module path."""
import numpy as np
from qonnx.core.datatype import DataType
from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp


class SpikeMaxPool(HWCustomOp):
    """2x2/stride-2 max-pool on spike words: NHWC, each element a UINT<T> word
    (bit t = spike at timestep t); max over a window of binary spikes == bitwise OR."""

    def get_nodeattr_types(self):
        my_attrs = {
            "ImgDim": ("ints", True, []),          # [H, W]
            "NumChannels": ("i", True, 0),
            "PoolDim": ("i", False, 2),
            "PE": ("i", False, 1),                # channels per cycle, must divide NumChannels
            "inputDataType": ("s", True, ""),     # UINT<T>
        }
        my_attrs.update(super().get_nodeattr_types())
        # allow an explicit "python" exec mode (FINN's default set is {"", "rtlsim", "cppsim"})
        my_attrs["exec_mode"] = ("s", False, "python", {"", "python", "cppsim", "rtlsim"})
        return my_attrs

    # ---- shapes ----
    def get_normal_input_shape(self, ind=0):
        h, w = self.get_nodeattr("ImgDim")
        return (1, h, w, self.get_nodeattr("NumChannels"))

    def get_normal_output_shape(self, ind=0):
        h, w = self.get_nodeattr("ImgDim")
        k = self.get_nodeattr("PoolDim")
        return (1, h // k, w // k, self.get_nodeattr("NumChannels"))

    def _fold(self, shape):
        c = self.get_nodeattr("NumChannels")
        pe = self.get_nodeattr("PE")
        assert c % pe == 0, "PE must divide NumChannels"
        return tuple(shape[:-1]) + (c // pe, pe)

    def get_folded_input_shape(self, ind=0):
        return self._fold(self.get_normal_input_shape())

    def get_folded_output_shape(self, ind=0):
        return self._fold(self.get_normal_output_shape())

    # ---- datatypes / streams ----
    def get_input_datatype(self, ind=0):
        return DataType[self.get_nodeattr("inputDataType")]

    def get_output_datatype(self, ind=0):
        return self.get_input_datatype()

    def get_instream_width(self, ind=0):
        return self.get_input_datatype().bitwidth() * self.get_nodeattr("PE")

    def get_outstream_width(self, ind=0):
        return self.get_output_datatype().bitwidth() * self.get_nodeattr("PE")

    def infer_node_datatype(self, model):
        idt = model.get_tensor_datatype(self.onnx_node.input[0])
        if idt.name != self.get_nodeattr("inputDataType"):
            self.set_nodeattr("inputDataType", idt.name)
        model.set_tensor_datatype(self.onnx_node.output[0], idt)

    # ---- performance / resources ----
    def get_exp_cycles(self):
        h, w = self.get_nodeattr("ImgDim")
        return int(h * w * self.get_nodeattr("NumChannels") // self.get_nodeattr("PE"))

    def lut_estimation(self, fpgapart):
        T = self.get_input_datatype().bitwidth()
        pe = self.get_nodeattr("PE")
        w = self.get_nodeattr("ImgDim")[1]
        k = self.get_nodeattr("PoolDim")
        # OR tree per bit + line buffer of (W/k)*C/PE words in LUTRAM (64 bit/LUT)
        line_bits = (w // k) * self.get_nodeattr("NumChannels") * T
        return int(pe * T * (k * k - 1) // 5 + 1 + line_bits / 64)

    # bram/uram/dsp_estimation default to 0 in HWCustomOp

    # ---- python execution ----
    def execute_node(self, context, graph):
        x = context[self.onnx_node.input[0]].astype(np.int64)
        k = self.get_nodeattr("PoolDim")
        n, h, w, c = x.shape
        xr = x[:, : h // k * k, : w // k * k, :].reshape(n, h // k, k, w // k, k, c)
        y = np.zeros((n, h // k, w // k, c), np.int64)
        for i in range(k):
            for j in range(k):
                y |= xr[:, :, i, :, j, :]
        context[self.onnx_node.output[0]] = y.astype(np.float32)

    def verify_node(self):
        return []


__all__ = ["SpikeMaxPool"]
