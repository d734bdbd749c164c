"""HLS code generation of the project's ``_hls`` ops: the layer's C++ top, a Vitis HLS script, an RTL wrapper.

For one node, ``code_generation_ipgen`` writes into the node's
``code_gen_dir_ipgen``:

* ``<node>_hls.cpp`` and ``<node>_hls_csim.cpp``: the layer's HLS top function
  and its C-simulation main (``hw.hls_gen``, templates ``hw/templates/hls``),
  with the kernel headers of ``hw/hls`` copied beside them (self-contained);
* ``hls_synth.tcl``: the Vitis HLS script (``hw/templates/hls/hls_synth.tcl.j2``,
  after FINN's ``ipgentcl_template``): ``csynth_design`` and
  ``export_design -format ip_catalog`` into ``project_<node>_hls/sol1``;
* ``<node>.sv``: a wrapper with FINN's stream port names (``in0_V`` /
  ``out0_V``) around the module Vitis HLS generates (``<node>_hls``), so the
  stitched top instantiates an HLS layer exactly like an RTL one.

Only the wrapper is an RTL file of the node (``get_rtl_file_list``); the
Verilog of ``<node>_hls`` exists once Vitis HLS has run, and the Vivado
project script adds it from ``project_<node>_hls/sol1/syn/verilog``.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np

from .. import hls_gen

HLS_TCL = "hls_synth.tcl"  #: the Vitis HLS script in each HLS node's folder
WRAPPER_TEMPLATE = "hls_layer_wrapper.sv.j2"


def hls_top(node_name: str) -> str:
    """The HLS top function (and Vitis HLS module) of a node: ``<node>_hls``."""
    return f"{node_name}_hls"


def hls_project(node_name: str) -> str:
    """The Vitis HLS project folder, inside the node's folder."""
    return f"project_{hls_top(node_name)}"


def hls_layer(inst, model) -> hls_gen.HlsLayer:
    """The ``hw.hls_gen`` layer of one ``Snn*_hls`` node: its folding, widths and parameters."""
    node = inst.onnx_node
    base = node.op_type.removesuffix("_hls")
    name, T = hls_top(node.name), int(inst.get_nodeattr("T"))
    if base == "SnnSpikePool":
        (h, w), (kh, kw), (sh, sw) = inst.get_nodeattr("ImgDim"), inst.get_nodeattr("Kernel"), inst.get_nodeattr("Stride")
        if not (kh == kw == sh == sw):
            raise ValueError(f"node {node.name}: the HLS spike pool needs a square window with stride == kernel, "
                             f"got kernel {kh}x{kw}, stride {sh}x{sw}")
        return hls_gen.spike_pool(H=h, W=w, C=inst.get_nodeattr("NumChannels"), PE=inst.get_nodeattr("PE"), K=kh,
                                  T=T, name=name)

    def init(i):
        return np.rint(model.get_initializer(node.input[i])).astype(np.int64)

    common = dict(MW=inst.get_nodeattr("MW"), MH=inst.get_nodeattr("MH"), SIMD=inst.get_nodeattr("SIMD"),
                  PE=inst.get_nodeattr("PE"), T=T, weights=init(1), bias=init(2),
                  WBITS=inst.get_input_datatype(1).bitwidth(),
                  NUM_VECTORS=int(math.prod(inst.get_nodeattr("numInputVectors"))),
                  ACC_BITS=inst.get_nodeattr("accBits"), STATE_BITS=inst.get_nodeattr("stateBits"), name=name)
    if base == "SnnInputMVU":
        return hls_gen.input_mvu(theta=init(3), LEAK_SHIFT=inst.get_nodeattr("leak_shift"),
                                 IBITS=inst.get_input_datatype(0).bitwidth(), **common)
    if base == "SnnLIFMVU":
        return hls_gen.lif_mvu(theta=init(3), LEAK_SHIFT=inst.get_nodeattr("leak_shift"), **common)
    if base == "SnnOutputMVU":
        return hls_gen.output_mvu(EMIT_LABEL=inst.get_nodeattr("emitLabel"), SBITS=inst.get_nodeattr("stateBits"),
                                  **common)
    raise ValueError(f"node {node.name}: no HLS generator for op {node.op_type}")


def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(hls_gen.TEMPLATE_DIR)),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def _pad(w: int) -> int:
    return (w + 7) // 8 * 8


def code_generation_ipgen(inst, model, fpgapart, clk):
    """Write the node's HLS sources, Vitis HLS script and RTL wrapper (see the module docstring)."""
    from .rtl_codegen import _code_gen_dir

    node = inst.onnx_node
    out = _code_gen_dir(inst)
    out.mkdir(parents=True, exist_ok=True)
    layer = hls_layer(inst, model)
    hls_gen.generate(layer, out)
    for header in ("snn_common.h", layer.header):
        shutil.copy2(hls_gen.HLS_DIR / header, out / header)
    env = _environment()
    top = inst.get_verilog_top_module_name()
    (out / HLS_TCL).write_text(env.get_template("hls_synth.tcl.j2").render(
        layer=node.name, op_type=node.op_type, top=layer.name, project=hls_project(node.name), part=fpgapart,
        clk_ns=f"{float(clk):g}", cpp=f"{layer.name}.cpp"))
    (out / f"{top}.sv").write_text(env.get_template(WRAPPER_TEMPLATE).render(
        top=top, layer=node.name, op_type=node.op_type, hls_top=layer.name,
        in_pad=_pad(inst.get_instream_width()), out_pad=_pad(inst.get_outstream_width()),
        in_width=layer.in_width, out_width=layer.out_width))
    inst.set_nodeattr("gen_top_module", top)
    inst.set_nodeattr("ipgen_path", str(out / hls_project(node.name)))
    (out / "rtl_files.txt").write_text(f"{top}.sv\n")


def get_rtl_file_list(inst, abspath=False):
    """The node's RTL before Vitis HLS runs: its wrapper only."""
    out = Path(inst.get_nodeattr("code_gen_dir_ipgen"))
    names = (out / "rtl_files.txt").read_text().split()
    return [str(out / n) if abspath else n for n in names]


def ipgen_singlenode_code(inst, fpgapart=None):
    raise RuntimeError(f"node {inst.onnx_node.name}: the project runs Vitis HLS from `dietsnn bitstream` "
                       f"({HLS_TCL} in the node's folder), not through FINN's HLSSynthIP")
