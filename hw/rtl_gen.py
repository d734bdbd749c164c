"""The RTL generator: the blocks' parameters and memory files, and each FINN node's per-layer wrapper.

Block level (no FINN needed; the cocotb tests use it):

* ``mvu_block(...)`` checks one ``snn_mvu`` (``hw.block_params.MVUParams``
  and the arrays) and writes its ``$readmemh`` files: weights, ``NF*SF``
  words of ``PE*SIMD*WBITS`` bits, element ``p*SIMD + s`` =
  ``W[sf*SIMD + s][nf*PE + p]`` in the LSB-first order of SPEC section 5;
  bias/theta, ``NF`` words of ``PE*STATE_BITS`` bits. It returns the module
  parameters.
* ``pool_block(...)`` checks one ``snn_spike_pool`` and returns its parameters.

Node level (the ``_rtl`` backends of ``hw/finn_ops/rtl``): ``generate_node``
writes ``<code_gen_dir>/<top>.sv`` (``templates/rtl/layer_wrapper.sv.j2``, FINN's
port names, so the stitched top connects it like FINN's own RTL layers)
around the generic block of ``hw/rtl/`` (copied beside it), the memory files,
and the list of the node's files (``rtl_files.txt``). The arrays come from
the dataflow graph's int64 initializers, exactly (never through float32).
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dietsnn.ref.streams import pack_beats
from dietsnn.vocab import MvuMode

from .block_params import BlockParamError, MVUArrays, MVUParams, PoolParams, check_mvu_arrays
from .templating import render
from .vocab import RTL_MODES

RTL_DIR = Path(__file__).resolve().parent / "rtl"
RTL_FILES = "rtl_files.txt"  #: the node's RTL and memory files, one per line, in its code-generation folder
MODES = RTL_MODES  #: the ``MODE`` of ``snn_mvu`` per matrix-vector mode


@dataclass(frozen=True)
class MVUBlock:
    parameters: dict  #: module parameters of snn_mvu
    sources: tuple  #: RTL files
    load_words: tuple = ()  #: with ``weight_load``: the words to send on ``s_axis_w``, in order


def _write_mem(path: Path, words: list[int], width: int) -> None:
    digits = max(1, math.ceil(width / 4))
    path.write_text("".join(f"{w:0{digits}x}\n" for w in words))


def _pad(w: int) -> int:
    return (w + 7) // 8 * 8


def weight_words(p: MVUParams, arrays: MVUArrays) -> list[int]:
    """The ``NF*SF`` weight words of a checked block in address order (``WEIGHT_FILE``'s lines, or the words the
    weight loader writes): word ``nf*SF + sf``, element ``p*SIMD + s`` = ``W[sf*SIMD + s][nf*PE + p]``."""
    words = []
    for f in range(p.MH // p.PE):
        for s in range(p.MW // p.SIMD):
            block = arrays.weight[s * p.SIMD:(s + 1) * p.SIMD, f * p.PE:(f + 1) * p.PE]  # (SIMD, PE)
            words += pack_beats(block.T.reshape(-1), p.WBITS, p.PE * p.SIMD, signed=True)
    return words


def write_mvu(name: str, p: MVUParams, arrays: MVUArrays, out_dir: Path, weight_load: bool = False) -> dict:
    """Write the memory files of a checked block into ``out_dir``; return ``snn_mvu``'s parameters. With
    ``weight_load`` the weights are in UltraRAM, written at run time (``WEIGHT_LOAD 1``): no weight file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"WEIGHT_FILE": out_dir / f"{name}_w.mem", "BIAS_FILE": out_dir / f"{name}_b.mem",
             "THETA_FILE": out_dir / f"{name}_t.mem"}
    if weight_load:
        del files["WEIGHT_FILE"]
    else:
        _write_mem(files["WEIGHT_FILE"], weight_words(p, arrays), p.PE * p.SIMD * p.WBITS)
    _write_mem(files["BIAS_FILE"], pack_beats(arrays.bias, p.STATE_BITS, p.PE, signed=True), p.PE * p.STATE_BITS)
    th = arrays.theta if arrays.theta is not None else np.zeros(p.MH, np.int64)
    _write_mem(files["THETA_FILE"], pack_beats(th, p.STATE_BITS, p.PE, signed=True), p.PE * p.STATE_BITS)
    return dict(MODE=MODES[p.mode], MW=p.MW, MH=p.MH, SIMD=p.SIMD, PE=p.PE, T=p.T, IN_BITS=p.IBITS, WBITS=p.WBITS,
                ACC_BITS=p.ACC_BITS, STATE_BITS=p.STATE_BITS, LEAK_SHIFT=p.LEAK_SHIFT, EMIT_LABEL=p.EMIT_LABEL,
                LABEL_BITS=p.LABEL_BITS, WEIGHT_LOAD=int(weight_load), **{k: f'"{v}"' for k, v in files.items()})


def mvu_block(name: str, mode: str, weight: np.ndarray, bias: np.ndarray, theta: np.ndarray | None, *,
              simd: int, pe: int, T: int, acc_bits: int, state_bits: int, leak_shift: int = 0,
              in_bits: int = 8, wbits: int = 4, out_dir: Path, weight_load: bool = False) -> MVUBlock:
    """Check one ``snn_mvu`` instance (``BlockParamError`` naming ``name``) and write its memory files
    (``weight_load``: weights in UltraRAM, loaded through ``s_axis_w``; ``load_words`` are what to send)."""
    if mode not in {m.value for m in MvuMode}:
        raise BlockParamError(name, [f"mode must be one of {sorted(MODES)}, not {mode!r}"])
    p = MVUParams(mode=MvuMode(mode), MW=int(np.shape(weight)[0]), MH=int(np.shape(weight)[1]), SIMD=simd, PE=pe,
                  T=T, WBITS=wbits, ACC_BITS=acc_bits, STATE_BITS=state_bits, IBITS=in_bits, LEAK_SHIFT=leak_shift)
    p, arrays = check_mvu_arrays(name, p, weight, bias, theta if p.mode.is_lif else None, backend="rtl")
    words = tuple(weight_words(p, arrays)) if weight_load else ()
    return MVUBlock(write_mvu(name, p, arrays, out_dir, weight_load), (RTL_DIR / "snn_mvu.sv",), words)


def pool_parameters(p: PoolParams) -> dict:
    """``snn_spike_pool``'s parameters of a checked pool."""
    return dict(T=p.T, C=p.C, PE=p.PE, H=p.H, W=p.W, KH=p.KH, KW=p.KW, SH=p.SH, SW=p.SW)


def pool_block(name: str, *, T: int, C: int, pe: int, H: int, W: int, kernel: tuple[int, int],
               stride: tuple[int, int]) -> dict:
    """Check one ``snn_spike_pool`` instance (window ``kernel`` = (KH, KW), ``stride`` = (SH, SW), any
    overlap or gap, no padding); returns its parameters."""
    (kh, kw), (sh, sw) = kernel, stride
    p = PoolParams(H=H, W=W, C=C, KH=kh, KW=kw, SH=sh, SW=sw, PE=pe, T=T).check(name, "rtl")
    return pool_parameters(p)


def render_wrapper(top: str, layer: str, op_type: str, core: str, parameters: dict, in_width: int,
                   out_width: int, load: dict | None = None) -> str:
    """The per-layer wrapper with FINN's port names, from ``templates/rtl/layer_wrapper.sv.j2``; ``load``
    (``lw``, ``ww``, ``words``): the unit's weights are in UltraRAM, written from the load chain."""
    return render("rtl/layer_wrapper.sv.j2", top=top, layer=layer, op_type=op_type, core=core,
                  parameters=list(parameters.items()), in_width=in_width, in_pad=_pad(in_width),
                  out_width=out_width, out_pad=_pad(out_width), load=load, has_wport=core == "snn_mvu")


# ------------------------------------------------------------------ FINN nodes (the _rtl backends)
def generate_const_node(inst, model, out: Path) -> None:
    """Write a ``variant="const"`` unit: the layer's constant-weight block (``hw.rtl_const.const_block``, generated
    from the graph's int64 weights) and the wrapper, into ``out``; no memory files."""
    from .rtl_const import const_block

    node = inst.onnx_node

    def init(i):
        return model.get_initializer(node.input[i]) if i < len(node.input) else None

    p = inst.block_params()
    block = const_block(node.name, p.mode.value, init(1), init(2), init(3) if p.mode.is_lif else None, T=p.T,
                        leak_shift=p.LEAK_SHIFT, in_bits=p.IBITS, wbits=p.WBITS,
                        state_bits=None if p.mode.is_lif else p.STATE_BITS, out_dir=out)
    if (block.in_width, block.out_width) != (inst.get_instream_width(), inst.get_outstream_width()):
        raise BlockParamError(f"node {node.name}", [
            f"the constant-weight block's streams ({block.in_width} in, {block.out_width} out bits) differ from the "
            f"node's ({inst.get_instream_width()}, {inst.get_outstream_width()})"])
    top = inst.get_verilog_top_module_name()
    (out / f"{top}.sv").write_text(render_wrapper(top, node.name, node.op_type, block.module, {},
                                                  inst.get_instream_width(), inst.get_outstream_width()))
    inst.set_nodeattr("gen_top_module", top)
    inst.set_nodeattr("ipgen_path", str(out))
    inst.set_nodeattr("ip_path", str(out))
    (out / RTL_FILES).write_text("\n".join([f"{block.module}.sv", f"{top}.sv"]) + "\n")


def generate_node(inst, model, out: Path) -> None:
    """Write one ``Snn*_rtl`` node's wrapper, block and memory files into ``out`` (see the module docstring)."""
    node = inst.onnx_node
    who = f"node {node.name}"
    if "variant" in inst.get_nodeattr_types() and inst.get_nodeattr("variant") == "const":
        return generate_const_node(inst, model, out)
    p = inst.block_params()
    load, cores = None, []
    if isinstance(p, PoolParams):
        core, params, mems = "snn_spike_pool", pool_parameters(p.check(who, "rtl")), []
    else:
        def init(i):
            return model.get_initializer(node.input[i]) if i < len(node.input) else None

        p, arrays = check_mvu_arrays(who, p, init(1), init(2), init(3), backend="rtl")
        load = weight_load(inst)
        core, params = "snn_mvu", write_mvu(node.name, p, arrays, out, weight_load=load is not None)
        mems = []
        for key in ("WEIGHT_FILE", "BIAS_FILE", "THETA_FILE"):
            if key in params:
                mems.append(Path(params[key].strip('"')).name)
                params[key] = f'"{mems[-1]}"'  # found next to the sources by simulators and Vivado
        if load is not None:
            cores.append(LOADER)
    top = inst.get_verilog_top_module_name()
    (out / f"{top}.sv").write_text(render_wrapper(top, node.name, node.op_type, core, params,
                                                  inst.get_instream_width(), inst.get_outstream_width(), load))
    for c in [core, *cores]:
        shutil.copy2(RTL_DIR / f"{c}.sv", out / f"{c}.sv")
    inst.set_nodeattr("gen_top_module", top)
    inst.set_nodeattr("ipgen_path", str(out))
    inst.set_nodeattr("ip_path", str(out))
    (out / RTL_FILES).write_text("\n".join([f"{core}.sv", *(f"{c}.sv" for c in cores), f"{top}.sv", *mems]) + "\n")


LOADER = "snn_wload"  #: the load-chain link of a unit with weights in UltraRAM (``hw/rtl/snn_wload.sv``)


def weight_load(inst) -> dict | None:
    """``{lw, ww, words}`` of a matrix unit whose weights are in UltraRAM (``ram_style`` "ultra"), else None.
    ``lw`` is the load stream's beat width (``loadWidth``, set by ``hw.stitch``)."""
    if inst.get_nodeattr("ram_style") != "ultra":
        return None
    lw = int(inst.get_nodeattr("loadWidth"))
    if lw < 1:
        raise BlockParamError(f"node {inst.onnx_node.name}", [
            "its weights are in UltraRAM (ram_style 'ultra') but loadWidth is not set: the load chain's beat "
            "width comes from `dietsnn stitch` (hw.stitch), which generates the layers"])
    depth, width = inst.weight_memory()
    return {"lw": lw, "ww": width, "words": depth}


def node_files(out: Path, abspath: bool = False) -> list[str]:
    """The files a node's code generation listed in ``out/rtl_files.txt``."""
    names = (Path(out) / RTL_FILES).read_text().split()
    return [str(Path(out) / n) if abspath else n for n in names]


def ipi_commands(files: list[str], top: str, instance: str) -> list[str]:
    """Vivado IP-integrator commands that add a node's sources and memory files and instantiate its top."""
    cmd = [f"add_files -norecurse {f}" for f in files if f.endswith((".sv", ".v"))]
    cmd += [f"add_files -norecurse {f}" for f in files if f.endswith(".mem")]
    cmd.append(f"create_bd_cell -type module -reference {top} {instance}")
    return cmd


__all__ = ["RTL_DIR", "RTL_FILES", "MODES", "BlockParamError", "MVUBlock", "write_mvu", "weight_words", "mvu_block",
           "weight_load", "LOADER",
           "pool_parameters", "pool_block", "render_wrapper", "generate_node", "generate_const_node", "node_files",
           "ipi_commands"]
