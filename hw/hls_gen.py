"""HLS C++ of the project's four dataflow blocks: generate a layer, compile its C simulation, run it.

A layer is described by one of ``lif_mvu``, ``input_mvu``, ``output_mvu`` or
``spike_pool``, which check every parameter and array (before any compiler
runs) and return an ``HlsLayer``. ``generate`` renders the layer's top function
(AXI-Stream ports, ``ap_ctrl_none``, weight/bias/theta ROMs as C++
initializers) and a C-simulation ``main`` from ``hw/templates/hls/*.cpp.j2``;
the kernels themselves are the templated functions of ``hw/hls/*.h``.
``csim`` compiles a generated folder with g++ against the ``ap_int.h`` /
``hls_stream.h`` of the hls4ml wheel, ``run_csim`` feeds it beats (Python ints,
element 0 in the least-significant bits, as ``dietsnn.ref.streams.pack_beats``
makes them) and returns the output beats. ``build`` / ``simulate`` cache the
compiled binary per content hash.

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
ValueError: SnnLIFMVU: SIMD=5 must divide MW=12
"""

from __future__ import annotations

import enum
import hashlib
import importlib.util
import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dietsnn.netfile import Layer
from dietsnn.ref.lif import MAX_LEAK_SHIFT
from dietsnn.ref.widths import layer_widths, signed_bits

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
HLS_DIR = ROOT / "hw" / "hls"  #: the kernels' headers
TEMPLATE_DIR = ROOT / "hw" / "templates" / "hls"
BUILD_ROOT = ROOT / "sim_build" / "hls"  #: default cache of compiled C simulations
CXX = os.environ.get("CXX", "g++")
CXXFLAGS = ("-std=c++14", "-O1")
MAX_T = 16
MAX_WIDTH = 4096  #: widest ap_int / ap_uint a layer may need (AP_INT_MAX_W is raised above 1024 when needed)
MAX_VALUE = 2**62  #: parameter magnitudes stay well inside int64 (C++ literals, the numpy reference)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Op(str, enum.Enum):
    """The dataflow blocks, named as their FINN ops in ``hw/finn_ops``."""

    LIF_MVU = "SnnLIFMVU"
    INPUT_MVU = "SnnInputMVU"
    OUTPUT_MVU = "SnnOutputMVU"
    SPIKE_POOL = "SnnSpikePool"


_KERNEL = {Op.LIF_MVU: "snn_lif_mvu", Op.INPUT_MVU: "snn_input_mvu", Op.OUTPUT_MVU: "snn_output_mvu",
           Op.SPIKE_POOL: "snn_spike_pool"}


class CsimError(RuntimeError):
    """The C simulation did not compile, or its run failed."""


@dataclass(frozen=True)
class HlsLayer:
    """One validated layer, ready to render: resolved parameters and arrays in the kernel's layout."""

    op: Op  #: which block
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
        return self.op is not Op.SPIKE_POOL

    @property
    def kernel(self) -> str:
        return _KERNEL[self.op]

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
        if self.op is Op.OUTPUT_MVU:
            widths.append(p["PE"] * p["SBITS"])
        return max(widths)


# ------------------------------------------------------------------ validation
def _int(op: Op, name: str, value, lo: int, hi: int | None = None) -> int:
    """``value`` as an int in ``lo..hi``, else a ValueError naming the block and parameter."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{op.value}: {name} must be an integer, not {value!r}")
    value = int(value)
    if hi is None and value < lo:
        raise ValueError(f"{op.value}: {name}={value} must be >= {lo}")
    if hi is not None and not lo <= value <= hi:
        raise ValueError(f"{op.value}: {name}={value} must be in {lo}..{hi}")
    return value


def _divides(op: Op, fold: str, f: int, dim: str, d: int) -> None:
    if d % f:
        raise ValueError(f"{op.value}: {fold}={f} must divide {dim}={d}")


def _int_array(op: Op, name: str, a, shape: tuple[int, ...], what: str) -> np.ndarray:
    """An exact int64 copy of ``a`` with the expected ``shape``, else a ValueError."""
    arr = np.asarray(a)
    if arr.dtype.kind == "f" and np.array_equal(arr, np.rint(arr)):
        arr = np.rint(arr)
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"{op.value}: {name} must be an integer array, got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"{op.value}: {name} has shape {arr.shape}, expected {what} = {shape}")
    if arr.size and float(np.abs(arr.astype(np.float64)).max()) >= MAX_VALUE:
        raise ValueError(f"{op.value}: {name} has values beyond +-2**62")
    return arr.astype(np.int64)


def _check_width(op: Op, name: str, given, needed: int, what: str) -> int:
    """A caller's register width (``None`` = SPEC section 6's) that holds ``needed`` signed bits."""
    if given is None:
        return needed
    given = _int(op, name, given, 1, MAX_WIDTH)
    if given < needed:
        raise ValueError(f"{op.value}: {name}={given} is too narrow: {what}, which needs {needed} signed bits "
                         "(SPEC section 6)")
    return given


def _check_name(op: Op, name: str) -> str:
    if not isinstance(name, str) or not _IDENT.match(name):
        raise ValueError(f"{op.value}: name must be a C identifier, not {name!r}")
    return name


def _check_beat_widths(op: Op, **widths: int) -> None:
    for key, w in widths.items():
        if w > MAX_WIDTH:
            raise ValueError(f"{op.value}: {key} is {w} bits, more than the {MAX_WIDTH} this generator supports")


def _fold_weights(w: np.ndarray, simd: int, pe: int) -> list:
    """``(MW, MH)`` -> ``[PE][NF*SF][SIMD]``: ``out[p][nf*SF + sf][s] = W[sf*SIMD + s][nf*PE + p]``."""
    mw, mh = w.shape
    sf, nf = mw // simd, mh // pe
    folded = w.reshape(sf, simd, nf, pe).transpose(3, 2, 0, 1)  # (PE, NF, SF, SIMD)
    return folded.reshape(pe, nf * sf, simd).tolist()


def _fold_channels(v: np.ndarray, pe: int) -> list:
    """``(MH,)`` -> ``[PE][NF]``: ``out[p][nf] = v[nf*PE + p]``."""
    return v.reshape(-1, pe).T.tolist()


def _mvu(op: Op, *, name, MW, MH, SIMD, PE, T, weights, bias, theta, WBITS, NUM_VECTORS, ACC_BITS, STATE_BITS,
         LEAK_SHIFT=None, IBITS=None, SBITS=None, EMIT_LABEL=0) -> HlsLayer:
    """Shared checks and layout of the three matrix-vector blocks."""
    name = _check_name(op, name)
    mw, mh = _int(op, "MW", MW, 1), _int(op, "MH", MH, 1)
    simd, pe = _int(op, "SIMD", SIMD, 1), _int(op, "PE", PE, 1)
    _divides(op, "SIMD", simd, "MW", mw)
    _divides(op, "PE", pe, "MH", mh)
    T = _int(op, "T", T, 1, MAX_T)
    wbits = _int(op, "WBITS", WBITS, 1, 32)
    vectors = _int(op, "NUM_VECTORS", NUM_VECTORS, 1)
    params = {"MW": mw, "MH": mh, "SIMD": simd, "PE": pe, "T": T, "WBITS": wbits, "NUM_VECTORS": vectors}
    if IBITS is not None:
        params["IBITS"] = _int(op, "IBITS", IBITS, 1, 32)
    if LEAK_SHIFT is not None:
        params["LEAK_SHIFT"] = _int(op, "LEAK_SHIFT", LEAK_SHIFT, 0, MAX_LEAK_SHIFT)

    w = _int_array(op, "weights", weights, (mw, mh), "(MW, MH)")
    lo, hi = -(1 << (wbits - 1)), (1 << (wbits - 1)) - 1
    if w.size and (int(w.min()) < lo or int(w.max()) > hi):
        raise ValueError(f"{op.value}: weights {int(w.min())}..{int(w.max())} do not fit WBITS={wbits} "
                         f"signed ({lo}..{hi})")
    b = _int_array(op, "bias", bias, (mh,), "(MH,)")
    th = None
    if op is not Op.OUTPUT_MVU:
        th = _int_array(op, "theta", theta, (mh,), "(MH,)")
        if np.any(th <= 0):
            raise ValueError(f"{op.value}: theta must be positive in every channel, got min {int(th.min())}")
    elif theta is not None:
        raise ValueError(f"{op.value}: has no threshold, theta must be None")

    # SPEC section 6 bounds through the reference (a Layer holds PyTorch's (O, I) weight layout)
    kind = {Op.LIF_MVU: "lif_dense", Op.INPUT_MVU: "input_lif", Op.OUTPUT_MVU: "output_accumulate"}[op]
    max_input = (1 << params["IBITS"]) - 1 if op is Op.INPUT_MVU else 1
    lw = layer_widths(Layer(name=name, kind=kind, weight=w.T, bias=b, theta=th), max_input, T)
    params["ACC_BITS"] = _check_width(op, "ACC_BITS", ACC_BITS, lw.acc_bits, f"|a| reaches {lw.acc_bound}")
    state_what = f"|{'v' if op is Op.OUTPUT_MVU else 'u'}| reaches {lw.state_bound}"
    params["STATE_BITS"] = _check_width(op, "STATE_BITS", STATE_BITS, lw.state_bits, state_what)

    in_bits = params["IBITS"] if op is Op.INPUT_MVU else T
    in_width, out_width = simd * in_bits, pe * T
    beats_out = vectors * (mh // pe)
    if op is Op.OUTPUT_MVU:
        params["SBITS"] = _check_width(op, "SBITS", params["STATE_BITS"] if SBITS is None else SBITS,
                                       lw.state_bits, state_what)
        params["EMIT_LABEL"] = _int(op, "EMIT_LABEL", EMIT_LABEL, 0, 1)
        params["LABEL_BITS"] = max(1, (mh - 1).bit_length())  # ceil(log2(MH)), at least 1
        if params["EMIT_LABEL"]:
            out_width, beats_out = params["LABEL_BITS"], vectors
        else:
            out_width = pe * params["SBITS"]
        _check_beat_widths(op, **{"PE*SBITS": pe * params["SBITS"]})
    _check_beat_widths(op, **{"the input beat": in_width, "the output beat": out_width})

    arrays = {"weights": _fold_weights(w, simd, pe), "bias": _fold_channels(b, pe)}
    theta_bits = 0
    if th is not None:
        arrays["theta"] = _fold_channels(th, pe)
        theta_bits = signed_bits(int(th.max()))
    layer = HlsLayer(op=op, name=name, params=params, arrays=arrays, in_width=in_width, out_width=out_width,
                     beats_in=vectors * (mw // simd), beats_out=beats_out,
                     bias_bits=signed_bits(int(np.abs(b).max(initial=0))), theta_bits=theta_bits)
    log.info("%s %s: MW=%d MH=%d SIMD=%d PE=%d T=%d, ACC_BITS=%d STATE_BITS=%d (section 6: %d, %d)",
             op.value, name, mw, mh, simd, pe, T, params["ACC_BITS"], params["STATE_BITS"],
             lw.acc_bits, lw.state_bits)
    return layer


# ------------------------------------------------------------------ the four blocks
def lif_mvu(*, MW: int, MH: int, SIMD: int, PE: int, T: int, weights, bias, theta, LEAK_SHIFT: int = 0,
            WBITS: int = 4, NUM_VECTORS: int = 1, ACC_BITS: int | None = None, STATE_BITS: int | None = None,
            name: str = "snn_lif_mvu_top") -> HlsLayer:
    """``SnnLIFMVU``: ``a[t] = sum_i W[i][c] s_i[t]`` on T-bit spike words, then the LIF of SPEC section 3.

    ``weights`` ``(MW, MH)`` signed ``WBITS``-bit, ``bias`` and ``theta`` ``(MH,)``
    (theta positive), ``LEAK_SHIFT`` the ``k`` of ``leak_k``. One call of the
    top function consumes ``NUM_VECTORS`` input vectors.
    """
    return _mvu(Op.LIF_MVU, name=name, MW=MW, MH=MH, SIMD=SIMD, PE=PE, T=T, weights=weights, bias=bias,
                theta=theta, WBITS=WBITS, NUM_VECTORS=NUM_VECTORS, ACC_BITS=ACC_BITS, STATE_BITS=STATE_BITS,
                LEAK_SHIFT=LEAK_SHIFT)


def input_mvu(*, MW: int, MH: int, SIMD: int, PE: int, T: int, weights, bias, theta, LEAK_SHIFT: int = 0,
              IBITS: int = 8, WBITS: int = 4, NUM_VECTORS: int = 1, ACC_BITS: int | None = None,
              STATE_BITS: int | None = None, name: str = "snn_input_mvu_top") -> HlsLayer:
    """``SnnInputMVU``: ``a = sum_i W[i][c] x_i`` on unsigned ``IBITS``-bit pixels, integrated ``T`` times by the LIF."""
    return _mvu(Op.INPUT_MVU, name=name, MW=MW, MH=MH, SIMD=SIMD, PE=PE, T=T, weights=weights, bias=bias,
                theta=theta, WBITS=WBITS, NUM_VECTORS=NUM_VECTORS, ACC_BITS=ACC_BITS, STATE_BITS=STATE_BITS,
                LEAK_SHIFT=LEAK_SHIFT, IBITS=IBITS)


def output_mvu(*, MW: int, MH: int, SIMD: int, PE: int, T: int, weights, bias, EMIT_LABEL: int = 0,
               SBITS: int | None = None, WBITS: int = 4, NUM_VECTORS: int = 1, ACC_BITS: int | None = None,
               STATE_BITS: int | None = None, name: str = "snn_output_mvu_top") -> HlsLayer:
    """``SnnOutputMVU``: scores ``v[c] = sum_t (a[t] + b[c])`` as signed ``SBITS``-bit fields, ``PE`` per beat.

    ``SBITS`` defaults to ``STATE_BITS``. With ``EMIT_LABEL=1`` one beat per
    vector holds ``argmax_c v[c]`` (lowest index on ties) in
    ``max(1, ceil(log2(MH)))`` unsigned bits.
    """
    return _mvu(Op.OUTPUT_MVU, name=name, MW=MW, MH=MH, SIMD=SIMD, PE=PE, T=T, weights=weights, bias=bias,
                theta=None, WBITS=WBITS, NUM_VECTORS=NUM_VECTORS, ACC_BITS=ACC_BITS, STATE_BITS=STATE_BITS,
                SBITS=SBITS, EMIT_LABEL=EMIT_LABEL)


def spike_pool(*, H: int, W: int, C: int, PE: int, K: int, T: int, name: str = "snn_spike_pool_top") -> HlsLayer:
    """``SnnSpikePool``: OR of each ``K x K`` window (stride ``K``) of NHWC T-bit spike words, one frame per call."""
    op = Op.SPIKE_POOL
    name = _check_name(op, name)
    h, w, c = _int(op, "H", H, 1), _int(op, "W", W, 1), _int(op, "C", C, 1)
    pe, k, T = _int(op, "PE", PE, 1), _int(op, "K", K, 1), _int(op, "T", T, 1, MAX_T)
    _divides(op, "PE", pe, "C", c)
    if k > h or k > w:
        raise ValueError(f"{op.value}: window K={k} does not fit the {h}x{w} input")
    _check_beat_widths(op, **{"the beat": pe * T})
    cf = c // pe
    log.info("%s %s: %dx%dx%d, K=%d, PE=%d, T=%d", op.value, name, h, w, c, k, pe, T)
    return HlsLayer(op=op, name=name, params={"H": h, "W": w, "C": c, "PE": pe, "K": k, "T": T},
                    in_width=pe * T, out_width=pe * T, beats_in=h * w * cf, beats_out=(h // k) * (w // k) * cf)


# ------------------------------------------------------------------ rendering and C simulation
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(layer: HlsLayer) -> dict[str, str]:
    """The generated sources of ``layer``: ``{file name: text}``."""
    env = _environment()
    return {f"{layer.name}.cpp": env.get_template("snn_layer.cpp.j2").render(layer=layer),
            f"{layer.name}_csim.cpp": env.get_template("snn_csim_main.cpp.j2").render(layer=layer)}


def generate(layer: HlsLayer, folder: str | Path) -> Path:
    """Write ``layer``'s top function and C-simulation main into ``folder``; return the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for fname, text in render(layer).items():
        (folder / fname).write_text(text)
    return folder


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


def build(layer: HlsLayer, root: str | Path = BUILD_ROOT) -> Path:
    """Generate and compile ``layer`` under ``root/<name>_<hash>``, reusing an earlier build of the same content."""
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


def simulate(layer: HlsLayer, beats: Sequence[int], root: str | Path = BUILD_ROOT) -> list[int]:
    """``run_csim(build(layer, root), beats)``: the layer's output beats from its C simulation."""
    return run_csim(build(layer, root), beats)
