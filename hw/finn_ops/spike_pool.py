"""``SnnSpikePool``: spike max-pooling on NHWC T-bit words: the OR of the window per timestep.

Input and output UINT<T>; ``PE`` channels per cycle. Python execution calls
``dietsnn.ref.spike_maxpool``.
"""

from __future__ import annotations

import numpy as np
from finn.custom_op.fpgadataflow import register_custom_op
from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp
from qonnx.core.datatype import DataType

from dietsnn.ref.pool import spike_maxpool
from dietsnn.ref.streams import pack_spike_trains, unpack_spike_trains

from ..block_params import BlockParamError, PoolParams
from .mvu_base import EXEC_MODES, python_exec_mode


@register_custom_op
class SnnSpikePool(HWCustomOp):
    def get_nodeattr_types(self):
        attrs = {
            "ImgDim": ("ints", True, []),  #: [H, W] of the input
            "NumChannels": ("i", True, 0),  #: C
            "Kernel": ("ints", True, []),  #: [KH, KW]
            "Stride": ("ints", True, []),  #: [SH, SW]
            "PE": ("i", False, 1),  #: channels per cycle, divides NumChannels
            "T": ("i", True, 5),  #: bits per word
            "inputDataType": ("s", True, ""),  #: UINT<T>
        }
        attrs.update(super().get_nodeattr_types())
        attrs["exec_mode"] = ("s", False, "python", EXEC_MODES)
        return attrs

    def _out_dim(self):
        (h, w), (kh, kw), (sh, sw) = self.get_nodeattr("ImgDim"), self.get_nodeattr("Kernel"), self.get_nodeattr("Stride")
        return (h - kh) // sh + 1, (w - kw) // sw + 1

    def get_normal_input_shape(self, ind=0):
        h, w = self.get_nodeattr("ImgDim")
        return (1, h, w, self.get_nodeattr("NumChannels"))

    def get_normal_output_shape(self, ind=0):
        return (1, *self._out_dim(), self.get_nodeattr("NumChannels"))

    def _fold(self, shape):
        c, pe = self.get_nodeattr("NumChannels"), self.get_nodeattr("PE")
        return tuple(shape[:-1]) + (c // pe, pe)

    def get_folded_input_shape(self, ind=0):
        return self._fold(self.get_normal_input_shape())

    def get_folded_output_shape(self, ind=0):
        return self._fold(self.get_normal_output_shape())

    def get_input_datatype(self, ind=0):
        return DataType[self.get_nodeattr("inputDataType")]

    def get_output_datatype(self, ind=0):
        return self.get_input_datatype()

    def get_instream_width(self, ind=0):
        return self.get_input_datatype().bitwidth() * self.get_nodeattr("PE")

    def get_outstream_width(self, ind=0):
        return self.get_instream_width()

    def infer_node_datatype(self, model):
        model.set_tensor_datatype(self.onnx_node.output[0], self.get_output_datatype())

    def block_params(self) -> PoolParams:
        """The block this node describes (``hw.block_params``): what verify_node checks and the generators take."""
        (h, w), (kh, kw), (sh, sw) = self.get_nodeattr("ImgDim"), self.get_nodeattr("Kernel"), self.get_nodeattr("Stride")
        return PoolParams(H=h, W=w, C=self.get_nodeattr("NumChannels"), KH=kh, KW=kw, SH=sh, SW=sw,
                          PE=self.get_nodeattr("PE"), T=self.get_nodeattr("T"), name=f"{self.onnx_node.name}_hls")

    def verify_node(self):
        """Every problem of the block for this node's backend (none: the abstraction layer's checks)."""
        return self.block_params().problems(getattr(self, "impl_style", None))

    def check_folding(self):
        """Raise ``BlockParamError`` naming the node when the block cannot be built (what ``compile`` calls)."""
        bad = self.verify_node()
        if bad:
            raise BlockParamError(f"node {self.onnx_node.name}", bad)

    def execute_node(self, context, graph):
        python_exec_mode(self)
        T = self.get_nodeattr("T")
        x = context[self.onnx_node.input[0]].reshape(self.get_normal_input_shape())
        s = unpack_spike_trains(x, T)  # (T, 1, C, H, W)
        y = spike_maxpool(s, tuple(self.get_nodeattr("Kernel")), tuple(self.get_nodeattr("Stride")))
        context[self.onnx_node.output[0]] = pack_spike_trains(y).astype(np.float32)

    def get_exp_cycles(self):
        """One input beat per cycle: ``H * W * C / PE`` cycles per frame, whatever the window and stride.

        Both blocks (RTL and HLS) take a beat every cycle the output does not stall; a window's output beat
        leaves with (HLS) or one cycle after (RTL) its last input beat, and rows or columns in no window
        are consumed at the same rate. The output (``OH * OW * C / PE`` beats) is never the limit."""
        h, w = self.get_nodeattr("ImgDim")
        return int(h * w * self.get_nodeattr("NumChannels") // self.get_nodeattr("PE"))

    def _banks(self) -> tuple[int, int]:
        """(number of LUTRAM banks ``ceil(KH/SH) * ceil(KW/SW)``, words per bank ``ceil(OW/NH) * C/PE``)."""
        (kh, kw), (sh, sw) = self.get_nodeattr("Kernel"), self.get_nodeattr("Stride")
        nv, nh = -(-kh // sh), -(-kw // sw)
        ow = self._out_dim()[1]
        return nv * nh, -(-ow // nh) * (self.get_nodeattr("NumChannels") // self.get_nodeattr("PE"))

    def lut_estimation(self, fpgapart=None):
        """Fitted to Yosys ``synth_xilinx -family xcup`` of ``hw/rtl/snn_spike_pool.sv`` (9 shapes, 1..9 banks,
        PE*T = 10..256 bits; within 12%). Logic: counters and trackers (about 30 LUTs) plus, per beat bit,
        the bank's read-OR-merge (one bank, K == S) or each bank's merge and the AND-OR that selects the
        window ending (about 1.9 LUTs per bank). Memory: each bank is LUTRAM, ``ceil(bits/16)`` RAM32M16
        (8 LUTs) when at most 32 words deep, else ``ceil(depth/64)`` LUTs per bit."""
        dw = self.get_nodeattr("T") * self.get_nodeattr("PE")
        banks, depth = self._banks()
        logic = 30 + dw * (1.0 if banks == 1 else 1.9 * banks)
        mem = banks * (8 * -(-dw // 16) if depth <= 32 else dw * -(-depth // 64))
        return int(logic + mem)
