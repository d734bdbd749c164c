"""RTL generation of the project's ``_rtl`` ops: memory files + a per-layer wrapper from the template.

Each node becomes ``<code_gen_dir>/<top>.sv`` (``templates/rtl/layer_wrapper.sv.j2``)
around the generic block in ``hw/rtl/`` (copied beside it), with FINN's port
names so FINN's stitching connects it like its own RTL layers.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..rtl_gen import RTL_DIR, mvu_block, pool_block, render_wrapper


def _code_gen_dir(inst) -> Path:
    d = inst.get_nodeattr("code_gen_dir_ipgen")
    if not d:
        from finn.util.basic import make_build_dir

        d = make_build_dir(prefix=f"code_gen_ipgen_{inst.onnx_node.name}_")
        inst.set_nodeattr("code_gen_dir_ipgen", d)
    return Path(d)


def _finish(inst, out: Path, top: str, core_file: str, text: str, extra: list[str]) -> None:
    (out / f"{top}.sv").write_text(text)
    shutil.copy2(RTL_DIR / core_file, out / core_file)
    inst.set_nodeattr("gen_top_module", top)
    inst.set_nodeattr("ipgen_path", str(out))
    inst.set_nodeattr("ip_path", str(out))
    (out / "rtl_files.txt").write_text("\n".join([core_file, f"{top}.sv", *extra]) + "\n")


def mvu_generate_hdl(inst, model, fpgapart, clk):
    node = inst.onnx_node
    out = _code_gen_dir(inst)
    w = np.rint(model.get_initializer(node.input[1])).astype(np.int64)
    b = np.rint(model.get_initializer(node.input[2])).astype(np.int64)
    theta = np.rint(model.get_initializer(node.input[3])).astype(np.int64) if len(node.input) > 3 else None
    mode = inst.mode()
    blk = mvu_block(node.name, mode, w, b, theta, simd=inst.get_nodeattr("SIMD"), pe=inst.get_nodeattr("PE"),
                    T=inst.get_nodeattr("T"), acc_bits=inst.get_nodeattr("accBits"),
                    state_bits=inst.get_nodeattr("stateBits"), leak_shift=inst.get_nodeattr("leak_shift"),
                    in_bits=inst.get_input_datatype(0).bitwidth(), wbits=inst.get_input_datatype(1).bitwidth(),
                    out_dir=out)
    params = dict(blk.parameters)
    mems = []
    for key in ("WEIGHT_FILE", "BIAS_FILE", "THETA_FILE"):
        name = Path(params[key].strip('"')).name
        params[key] = f'"{name}"'  # found next to the sources by simulators and Vivado
        mems.append(name)
    top = inst.get_verilog_top_module_name()
    text = render_wrapper(top, node.name, node.op_type, "snn_mvu", params, inst.get_instream_width(),
                          inst.get_outstream_width())
    _finish(inst, out, top, "snn_mvu.sv", text, mems)


def pool_generate_hdl(inst, model, fpgapart, clk):
    node = inst.onnx_node
    out = _code_gen_dir(inst)
    (h, w), (k, _), (s, _) = inst.get_nodeattr("ImgDim"), inst.get_nodeattr("Kernel"), inst.get_nodeattr("Stride")
    params = pool_block(node.name, T=inst.get_nodeattr("T"), C=inst.get_nodeattr("NumChannels"),
                        pe=inst.get_nodeattr("PE"), H=h, W=w, kernel=k, stride=s)
    top = inst.get_verilog_top_module_name()
    text = render_wrapper(top, node.name, node.op_type, "snn_spike_pool", params, inst.get_instream_width(),
                          inst.get_outstream_width())
    _finish(inst, out, top, "snn_spike_pool.sv", text, [])


def get_rtl_file_list(inst, abspath=False):
    out = Path(inst.get_nodeattr("code_gen_dir_ipgen"))
    names = (out / "rtl_files.txt").read_text().split()
    return [str(out / n) if abspath else n for n in names]


def code_generation_ipi(inst):
    files = [f for f in get_rtl_file_list(inst, abspath=True) if f.endswith((".sv", ".v"))]
    cmd = [f"add_files -norecurse {f}" for f in files]
    mems = [f for f in get_rtl_file_list(inst, abspath=True) if f.endswith(".mem")]
    cmd += [f"add_files -norecurse {f}" for f in mems]
    cmd.append(f"create_bd_cell -type module -reference {inst.get_nodeattr('gen_top_module')} {inst.onnx_node.name}")
    return cmd
