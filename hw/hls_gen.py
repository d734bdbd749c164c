"""The HLS generator: the four dataflow blocks as HLS C++, their C simulation, and each FINN node's HLS files.

A layer is described by one of ``lif_mvu``, ``input_mvu``, ``output_mvu`` or
``spike_pool``, which check every parameter and array through
``hw.block_params`` (before any compiler runs) and return an ``HlsLayer``.
``generate`` renders the layer's top function (AXI-Stream ports,
``ap_ctrl_none``, weight/bias/theta ROMs as C++ initializers) and a
C-simulation ``main`` from ``hw/templates/hls/*.cpp.j2``; the kernels
themselves are the templated functions of ``hw/hls/*.h``. ``csim`` compiles a
generated folder with g++ against the ``ap_int.h`` / ``hls_stream.h`` of the
hls4ml wheel, ``run_csim`` feeds it beats (Python ints, element 0 in the
least-significant bits, as ``dietsnn.ref.streams.pack_beats`` makes them) and
returns the output beats. ``build`` / ``simulate`` cache the compiled binary
per content hash.

For a FINN node (the ``_hls`` backends of ``hw/finn_ops/hls``),
``generate_node`` writes into the node's folder:

* ``<node>_hls.cpp`` and ``<node>_hls_csim.cpp``: the layer's top function
  and its C-simulation main, with the kernel headers of ``hw/hls`` copied
  beside them (self-contained);
* ``hls_synth.tcl``: the Vitis HLS script (``templates/hls/hls_synth.tcl.j2``,
  after FINN's ``ipgentcl_template``): ``csynth_design`` and
  ``export_design -format ip_catalog`` into ``project_<node>_hls/sol1``;
* ``<node>.sv``: a wrapper with FINN's stream port names (``in0_V`` /
  ``out0_V``) around the module Vitis HLS generates (``<node>_hls``), so the
  stitched top instantiates an HLS layer exactly like an RTL one.

Only the wrapper is an RTL file of the node; the Verilog of ``<node>_hls``
exists once Vitis HLS has run, and the Vivado project script adds it from
``project_<node>_hls/sol1/syn/verilog``. The arrays come from the dataflow
graph's int64 initializers, exactly (never through float32).

Register widths are SPEC section 6's (``dietsnn.ref.widths.layer_widths``)
unless the caller gives wider ones; narrower ones are an error, since the
integer contract never wraps.

>>> import numpy as np
>>> layer = spike_pool(H=4, W=4, C=2, PE=1, K=2, T=5)
>>> (layer.in_width, layer.beats_in, layer.beats_out)
(5, 32, 8)
>>> lif_mvu(MW=12, MH=4, SIMD=5, PE=1, T=5, weights=np.zeros((12, 4), int),
...         bias=np.zeros(4, int), theta=np.ones(4, int))
Traceback (most recent call last):
hw.block_params.BlockParamError: SnnLIFMVU: SIMD=5 must divide MW=12
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from dietsnn.ref.widths import signed_bits
from dietsnn.vocab import MAX_HLS_WIDTH, Kind, MvuMode, check_range

from .block_params import BlockParamError, MVUParams, PoolParams, check_mvu_arrays
from .rtl_gen import RTL_FILES
from .templating import TEMPLATE_DIR as _TEMPLATES
from .templating import render as _render
from .vocab import by_finn_op, mvu_finn_op, names

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
HLS_DIR = ROOT / "hw" / "hls"  #: the kernels' headers
TEMPLATE_DIR = _TEMPLATES / "hls"
BUILD_ROOT = None  #: default cache of compiled C simulations: ``hw.toolenv.cache_dir()/hls`` (outside the checkout)
CXX = os.environ.get("CXX", "g++")
CXXFLAGS = ("-std=c++14", "-O1")
MAX_WIDTH = MAX_HLS_WIDTH  #: widest ap_int / ap_uint a layer may need (AP_INT_MAX_W is raised above 1024 when needed)
HLS_TCL = "hls_synth.tcl"  #: the Vitis HLS script in each HLS node's folder
POOL_OP = names(Kind.SPIKE_MAXPOOL).finn_op  #: SnnSpikePool


class CsimError(RuntimeError):
    """The C simulation did not compile, or its run failed."""


@dataclass(frozen=True)
class HlsLayer:
    """One validated layer, ready to render: resolved parameters and arrays in the kernel's layout."""

    op: str  #: which block: its FINN op (``SnnLIFMVU``, ``SnnInputMVU``, ``SnnOutputMVU``, ``SnnSpikePool``)
    name: str  #: C identifier of the top function
    params: dict = field(repr=False)  #: resolved integer parameters, the kernel's names (MW, SIMD, ACC_BITS, ...)
    arrays: dict = field(default_factory=dict, repr=False)  #: nested int lists: weights [PE][TILES][SIMD], bias/theta [PE][NF]
    in_width: int = 0  #: bits of an input beat
    out_width: int = 0  #: bits of an output beat
    beats_in: int = 0  #: input beats per call of the top function (one frame)
    beats_out: int = 0  #: output beats per call
    bias_bits: int = 0  #: signed width of the bias ROM (MVUs)
    theta_bits: int = 0  #: signed width of the theta ROM (LIF MVUs; 0 = none)

    @property
    def is_mvu(self) -> bool:
        return by_finn_op(self.op).mvu_mode is not None

    @property
    def kernel(self) -> str:
        return by_finn_op(self.op).hls_kernel

    @property
    def header(self) -> str:
        return f"{self.kernel}.h"

    @property
    def nf(self) -> int:
        return self.params["MH"] // self.params["PE"]

    @property
    def tiles(self) -> int:
        p = self.params
        return (p["MH"] // p["PE"]) * (p["MW"] // p["SIMD"])

    @property
    def max_width(self) -> int:
        """Widest ap_int the generated code declares (sets ``AP_INT_MAX_W`` above 1024)."""
        p = self.params
        widths = [self.in_width, self.out_width, p.get("ACC_BITS", 0), p.get("STATE_BITS", 0)]
        if "SBITS" in p:
            widths.append(p["PE"] * p["SBITS"])
        return max(widths)


# ------------------------------------------------------------------ layout of the ROMs
def _fold_weights(w: np.ndarray, simd: int, pe: int) -> list:
    """``(MW, MH)`` -> ``[PE][NF*SF][SIMD]``: ``out[p][nf*SF + sf][s] = W[sf*SIMD + s][nf*PE + p]``."""
    mw, mh = w.shape
    sf, nf = mw // simd, mh // pe
    folded = w.reshape(sf, simd, nf, pe).transpose(3, 2, 0, 1)  # (PE, NF, SF, SIMD)
    return folded.reshape(pe, nf * sf, simd).tolist()


def _fold_channels(v: np.ndarray, pe: int) -> list:
    """``(MH,)`` -> ``[PE][NF]``: ``out[p][nf] = v[nf*PE + p]``."""
    return v.reshape(-1, pe).T.tolist()


# ------------------------------------------------------------------ the four blocks
def mvu_layer(who: str, p: MVUParams, weights, bias, theta=None) -> HlsLayer:
    """The ``HlsLayer`` of a matrix-vector block: ``p`` and the arrays checked together (errors name ``who``)."""
    p, arr = check_mvu_arrays(who, p, weights, bias, theta, backend="hls")
    op = mvu_finn_op(p.mode)
    params = {"MW": p.MW, "MH": p.MH, "SIMD": p.SIMD, "PE": p.PE, "T": p.T, "WBITS": p.WBITS,
              "NUM_VECTORS": p.NUM_VECTORS}
    if p.mode is MvuMode.INPUT_LIF:
        params["IBITS"] = p.IBITS
    if p.mode.is_lif:
        params["LEAK_SHIFT"] = p.LEAK_SHIFT
    params.update(ACC_BITS=p.ACC_BITS, STATE_BITS=p.STATE_BITS)
    beats_out = p.NUM_VECTORS * (p.MH // p.PE)
    if not p.mode.is_lif:
        params.update(SBITS=p.SBITS or p.STATE_BITS, EMIT_LABEL=p.EMIT_LABEL, LABEL_BITS=p.LABEL_BITS)
        if p.EMIT_LABEL:
            beats_out = p.NUM_VECTORS
    arrays = {"weights": _fold_weights(arr.weight, p.SIMD, p.PE), "bias": _fold_channels(arr.bias, p.PE)}
    theta_bits = 0
    if arr.theta is not None:
        arrays["theta"] = _fold_channels(arr.theta, p.PE)
        theta_bits = signed_bits(int(arr.theta.max()))
    log.info("%s %s: MW=%d MH=%d SIMD=%d PE=%d T=%d, ACC_BITS=%d STATE_BITS=%d (section 6 bounds: %d, %d)",
             op, p.name, p.MW, p.MH, p.SIMD, p.PE, p.T, p.ACC_BITS, p.STATE_BITS, arr.acc_bound, arr.state_bound)
    return HlsLayer(op=op, name=p.name, params=params, arrays=arrays, in_width=p.in_width, out_width=p.out_width,
                    beats_in=p.NUM_VECTORS * (p.MW // p.SIMD), beats_out=beats_out,
                    bias_bits=signed_bits(int(np.abs(arr.bias).max(initial=0))), theta_bits=theta_bits)


def lif_mvu(*, MW: int, MH: int, SIMD: int, PE: int, T: int, weights, bias, theta, LEAK_SHIFT: int = 0,
            WBITS: int = 4, NUM_VECTORS: int = 1, ACC_BITS: int | None = None, STATE_BITS: int | None = None,
            name: str = "snn_lif_mvu_top") -> HlsLayer:
    """``SnnLIFMVU``: ``a[t] = sum_i W[i][c] s_i[t]`` on T-bit spike words, then the LIF of SPEC section 3.

    ``weights`` ``(MW, MH)`` signed ``WBITS``-bit, ``bias`` and ``theta`` ``(MH,)``
    (theta positive), ``LEAK_SHIFT`` the ``k`` of ``leak_k``. One call of the
    top function consumes ``NUM_VECTORS`` input vectors.
    """
    p = MVUParams(mode=MvuMode.LIF, MW=MW, MH=MH, SIMD=SIMD, PE=PE, T=T, WBITS=WBITS, ACC_BITS=ACC_BITS,
                  STATE_BITS=STATE_BITS, LEAK_SHIFT=LEAK_SHIFT, NUM_VECTORS=NUM_VECTORS, name=name)
    return mvu_layer(mvu_finn_op(p.mode), p, weights, bias, theta)


def input_mvu(*, MW: int, MH: int, SIMD: int, PE: int, T: int, weights, bias, theta, LEAK_SHIFT: int = 0,
              IBITS: int = 8, WBITS: int = 4, NUM_VECTORS: int = 1, ACC_BITS: int | None = None,
              STATE_BITS: int | None = None, name: str = "snn_input_mvu_top") -> HlsLayer:
    """``SnnInputMVU``: ``a = sum_i W[i][c] x_i`` on unsigned ``IBITS``-bit pixels, integrated ``T`` times by the LIF."""
    p = MVUParams(mode=MvuMode.INPUT_LIF, MW=MW, MH=MH, SIMD=SIMD, PE=PE, T=T, WBITS=WBITS, ACC_BITS=ACC_BITS,
                  STATE_BITS=STATE_BITS, IBITS=IBITS, LEAK_SHIFT=LEAK_SHIFT, NUM_VECTORS=NUM_VECTORS, name=name)
    return mvu_layer(mvu_finn_op(p.mode), p, weights, bias, theta)


def output_mvu(*, MW: int, MH: int, SIMD: int, PE: int, T: int, weights, bias, EMIT_LABEL: int = 0,
               SBITS: int | None = None, WBITS: int = 4, NUM_VECTORS: int = 1, ACC_BITS: int | None = None,
               STATE_BITS: int | None = None, name: str = "snn_output_mvu_top") -> HlsLayer:
    """``SnnOutputMVU``: scores ``v[c] = sum_t (a[t] + b[c])`` as signed ``SBITS``-bit fields, ``PE`` per beat.

    ``SBITS`` defaults to ``STATE_BITS``. With ``EMIT_LABEL=1`` one beat per
    vector holds ``argmax_c v[c]`` (lowest index on ties) in
    ``max(1, ceil(log2(MH)))`` unsigned bits.
    """
    mode = MvuMode.LABEL if check_range(mvu_finn_op(MvuMode.SCORES), "EMIT_LABEL", EMIT_LABEL, 0, 1) else MvuMode.SCORES
    p = MVUParams(mode=mode, MW=MW, MH=MH, SIMD=SIMD, PE=PE, T=T, WBITS=WBITS, ACC_BITS=ACC_BITS,
                  STATE_BITS=STATE_BITS, NUM_VECTORS=NUM_VECTORS, SBITS=SBITS, name=name)
    return mvu_layer(mvu_finn_op(p.mode), p, weights, bias)


def pool_layer(who: str, p: PoolParams) -> HlsLayer:
    """The ``HlsLayer`` of a spike pool (``p`` checked; errors name ``who``)."""
    p = p.check(who, "hls")
    cf = p.C // p.PE
    log.info("%s %s: %dx%dx%d, window %dx%d, stride %dx%d, PE=%d, T=%d", POOL_OP, p.name, p.H, p.W, p.C, p.KH, p.KW,
             p.SH, p.SW, p.PE, p.T)
    return HlsLayer(op=POOL_OP, name=p.name, params={"H": p.H, "W": p.W, "C": p.C, "PE": p.PE, "KH": p.KH,
                                                     "KW": p.KW, "SH": p.SH, "SW": p.SW, "T": p.T},
                    in_width=p.in_width, out_width=p.out_width, beats_in=p.H * p.W * cf, beats_out=p.OH * p.OW * cf)


def spike_pool(*, H: int, W: int, C: int, PE: int, T: int, kernel: tuple[int, int] | None = None,
               stride: tuple[int, int] | None = None, K: int | None = None,
               name: str = "snn_spike_pool_top") -> HlsLayer:
    """``SnnSpikePool``: OR of each ``kernel`` = (KH, KW) window, ``stride`` = (SH, SW) apart (overlapping, gapped
    or equal, no padding), of NHWC T-bit spike words, one frame per call. ``K``: kernel = stride = (K, K)."""
    if K is not None:
        if kernel is not None or stride is not None:
            raise ValueError(f"{POOL_OP}: give K or kernel and stride, not both")
        kernel = stride = (K, K)
    if kernel is None or stride is None:
        raise ValueError(f"{POOL_OP}: kernel and stride (or K) are required")
    (kh, kw), (sh, sw) = kernel, stride
    return pool_layer(POOL_OP, PoolParams(H=H, W=W, C=C, KH=kh, KW=kw, SH=sh, SW=sw, PE=PE, T=T, name=name))


# ------------------------------------------------------------------ rendering
def render(layer: HlsLayer) -> dict[str, str]:
    """The generated sources of ``layer``: ``{file name: text}``."""
    return {f"{layer.name}.cpp": _render("hls/snn_layer.cpp.j2", layer=layer),
            f"{layer.name}_csim.cpp": _render("hls/snn_csim_main.cpp.j2", layer=layer)}


def generate(layer: HlsLayer, folder: str | Path) -> Path:
    """Write ``layer``'s top function and C-simulation main into ``folder``; return the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for fname, text in render(layer).items():
        (folder / fname).write_text(text)
    return folder


# ------------------------------------------------------------------ FINN nodes (the _hls backends)
def hls_top(node_name: str) -> str:
    """The HLS top function (and Vitis HLS module) of a node: ``<node>_hls``."""
    return f"{node_name}_hls"


def hls_project(node_name: str) -> str:
    """The Vitis HLS project folder, inside the node's folder."""
    return f"project_{hls_top(node_name)}"


def node_layer(inst, model) -> HlsLayer:
    """The ``HlsLayer`` of one ``Snn*_hls`` node: its block parameters and the graph's int64 initializers."""
    node = inst.onnx_node
    who = f"node {node.name}"
    p = inst.block_params()
    p = replace(p, name=hls_top(node.name))
    if isinstance(p, PoolParams):
        return pool_layer(who, p)
    inits = [model.get_initializer(n) for n in node.input[1:]]
    return mvu_layer(who, p, *inits)


def _pad(w: int) -> int:
    return (w + 7) // 8 * 8


def generate_node(inst, model, out: Path, fpgapart: str, clk) -> None:
    """Write one ``Snn*_hls`` node's HLS sources, Vitis HLS script and RTL wrapper into ``out``."""
    node = inst.onnx_node
    layer = node_layer(inst, model)
    generate(layer, out)
    for header in ("snn_common.h", layer.header):
        shutil.copy2(HLS_DIR / header, out / header)
    top = inst.get_verilog_top_module_name()
    (out / HLS_TCL).write_text(_render(
        "hls/hls_synth.tcl.j2", layer=node.name, op_type=node.op_type, top=layer.name,
        project=hls_project(node.name), part=fpgapart, clk_ns=f"{float(clk):g}", cpp=f"{layer.name}.cpp"))
    (out / f"{top}.sv").write_text(_render(
        "hls/hls_layer_wrapper.sv.j2", top=top, layer=node.name, op_type=node.op_type, hls_top=layer.name,
        in_pad=_pad(inst.get_instream_width()), out_pad=_pad(inst.get_outstream_width()),
        in_width=layer.in_width, out_width=layer.out_width))
    inst.set_nodeattr("gen_top_module", top)
    inst.set_nodeattr("ipgen_path", str(out / hls_project(node.name)))
    (out / RTL_FILES).write_text(f"{top}.sv\n")


# ------------------------------------------------------------------ C simulation
def hls_include() -> Path:
    """The folder holding ``ap_int.h`` and ``hls_stream.h``: ``$HLS_INCLUDE``, else the hls4ml wheel's copy."""
    env = os.environ.get("HLS_INCLUDE")
    if env and (Path(env) / "ap_int.h").is_file():
        return Path(env)
    spec = importlib.util.find_spec("hls4ml")  # locates the package without importing it
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            p = Path(loc) / "templates" / "vivado" / "ap_types"
            if (p / "ap_int.h").is_file():
                return p
    raise CsimError("cannot find ap_int.h: set HLS_INCLUDE (scripts/env.sh does) or install hls4ml")


def csim(folder: str | Path) -> Path:
    """Compile the generated C simulation in ``folder`` (every ``*.cpp``); return the binary's path."""
    folder = Path(folder)
    sources = sorted(folder.glob("*.cpp"))
    if not sources:
        raise CsimError(f"{folder}: no generated *.cpp (run generate first)")
    binary = folder / "csim"
    tmp = folder / f"csim.tmp{os.getpid()}"
    cmd = [CXX, *CXXFLAGS, f"-I{hls_include()}", f"-I{HLS_DIR}", *map(str, sources), "-o", str(tmp)]
    log.info("compiling %s", folder)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise CsimError(f"{folder}: g++ failed ({' '.join(cmd)}):\n{proc.stderr[-4000:]}")
    os.replace(tmp, binary)  # atomic: a cached binary is always complete
    return binary


def _key(layer: HlsLayer) -> str:
    """Content hash of everything the binary depends on: generated sources, kernels, flags."""
    h = hashlib.sha256(" ".join([CXX, *CXXFLAGS]).encode())
    for fname, text in sorted(render(layer).items()):
        h.update(fname.encode() + b"\0" + text.encode())
    for header in ("snn_common.h", layer.header):
        h.update(header.encode() + b"\0" + (HLS_DIR / header).read_bytes())
    return h.hexdigest()[:16]


def build(layer: HlsLayer, root: str | Path | None = BUILD_ROOT) -> Path:
    """Generate and compile ``layer`` under ``root/<name>_<hash>`` (default: the project's cache), reusing an
    earlier build of the same content."""
    if root is None:
        from .toolenv import cache_dir

        root = cache_dir() / "hls"
    folder = Path(root) / f"{layer.name}_{_key(layer)}"
    binary = folder / "csim"
    if binary.is_file():
        return binary
    return csim(generate(layer, folder))


def run_csim(binary: str | Path, beats: Sequence[int], timeout: float = 300) -> list[int]:
    """Run a compiled C simulation on input ``beats`` (Python ints); return the output beats.

    The number of beats must be a whole number of calls of the top function
    (``HlsLayer.beats_in`` each); the binary rejects beats wider than its port.
    """
    lines = []
    for i, b in enumerate(beats):
        if isinstance(b, (bool, np.bool_)) or not isinstance(b, (int, np.integer)) or int(b) < 0:
            raise ValueError(f"beat {i} must be a non-negative integer, not {b!r}")
        lines.append(format(int(b), "x"))
    with tempfile.TemporaryDirectory(prefix="hls_csim_") as tmp:
        fin, fout = Path(tmp) / "in.txt", Path(tmp) / "out.txt"
        fin.write_text("\n".join(lines) + "\n")
        proc = subprocess.run([str(binary), str(fin), str(fout)], capture_output=True, text=True, timeout=timeout)
        if proc.returncode:
            raise CsimError(f"{binary} failed (exit {proc.returncode}): {proc.stderr.strip()}")
        return [int(line, 16) for line in fout.read_text().split()]


def simulate(layer: HlsLayer, beats: Sequence[int], root: str | Path | None = BUILD_ROOT) -> list[int]:
    """``run_csim(build(layer, root), beats)``: the layer's output beats from its C simulation."""
    return run_csim(build(layer, root), beats)
