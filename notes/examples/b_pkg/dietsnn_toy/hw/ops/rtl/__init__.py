"""RTL specializations. ONNX domain 'dietsnn_toy.hw.ops.rtl'."""
import os
from finn.custom_op.fpgadataflow.rtlbackend import RTLBackend
from dietsnn_toy.hw.ops import SpikeMaxPool


class SpikeMaxPool_rtl(SpikeMaxPool, RTLBackend):
    def get_nodeattr_types(self):
        attrs = SpikeMaxPool.get_nodeattr_types(self)
        attrs.update(RTLBackend.get_nodeattr_types(self))
        attrs["exec_mode"] = ("s", False, "python", {"", "python", "cppsim", "rtlsim"})
        return attrs

    def execute_node(self, context, graph):
        if self.get_nodeattr("exec_mode") in ("", "python", "cppsim"):
            return SpikeMaxPool.execute_node(self, context, graph)
        return RTLBackend.execute_node(self, context, graph)

    def generate_hdl(self, model, fpgapart, clk):
        d = self.get_nodeattr("code_gen_dir_ipgen")
        top = self.get_verilog_top_module_name()
        self.set_nodeattr("gen_top_module", top)
        with open(os.path.join(d, top + ".v"), "w") as f:
            f.write(f"// {top}: PE={self.get_nodeattr('PE')} W_IN={self.get_instream_width_padded()}\n"
                    f"module {top}(input ap_clk, input ap_rst_n); endmodule\n")
        self.set_nodeattr("ipgen_path", d)
        self.set_nodeattr("ip_path", d)

    def get_rtl_file_list(self, abspath=False):
        d = self.get_nodeattr("code_gen_dir_ipgen") + "/" if abspath else ""
        return [d + self.get_nodeattr("gen_top_module") + ".v"]

    def code_generation_ipi(self):
        return []


__all__ = ["SpikeMaxPool_rtl"]
