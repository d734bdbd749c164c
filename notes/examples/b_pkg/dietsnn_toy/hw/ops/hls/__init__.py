"""HLS specializations. ONNX domain 'dietsnn_toy.hw.ops.hls'."""
from finn.custom_op.fpgadataflow.hlsbackend import HLSBackend
from dietsnn_toy.hw.ops import SpikeMaxPool


class SpikeMaxPool_hls(SpikeMaxPool, HLSBackend):
    def get_nodeattr_types(self):
        attrs = SpikeMaxPool.get_nodeattr_types(self)
        attrs.update(HLSBackend.get_nodeattr_types(self))
        attrs["exec_mode"] = ("s", False, "python", {"", "python", "cppsim", "rtlsim"})
        return attrs

    def execute_node(self, context, graph):
        if self.get_nodeattr("exec_mode") in ("", "python"):
            return SpikeMaxPool.execute_node(self, context, graph)
        return HLSBackend.execute_node(self, context, graph)

    # abstract methods of HLSBackend (C++ code generation pieces)
    def global_includes(self):
        self.code_gen_dict["$GLOBALS$"] = ['#include "ap_int.h"', '#include "hls_stream.h"']

    def defines(self, var):
        self.code_gen_dict["$DEFINES$"] = [f"#define PE {self.get_nodeattr('PE')}"]

    def docompute(self):
        self.code_gen_dict["$DOCOMPUTE$"] = ["// TODO spike max-pool body"]

    def blackboxfunction(self):
        self.code_gen_dict["$BLACKBOXFUNCTION$"] = [
            f"void {self.onnx_node.name}(hls::stream<ap_uint<{self.get_instream_width()}>> &in0_V,"
            f" hls::stream<ap_uint<{self.get_outstream_width()}>> &out0_V)"
        ]


__all__ = ["SpikeMaxPool_hls"]
