"""The parameters of the project's hardware blocks, validated once for every user.

``MVUParams`` (a matrix-vector unit: ``snn_mvu`` in RTL, ``snn_*_mvu`` in HLS)
and ``PoolParams`` (the spike pool) are the one description of a block. The
FINN ops build them from their attributes (``block_params()``) and report
``problems()`` from ``verify_node``, so ``dietsnn compile`` refuses what a
generator would refuse later, with the same words; the RTL generator
(``hw.rtl_gen``) and the HLS generator (``hw.hls_gen``) take them, checked,
together with the arrays (``check_mvu_arrays``).

``problems(backend)`` lists every violation: the generic ones (ranges,
divisibility), then the caps of ``backend`` (``"rtl"``: the widest state
register and weight widths of ``hw/rtl/snn_mvu.sv``; ``"hls"``: the widest
``ap_int`` and C names). ``check(who, backend)`` raises ``BlockParamError``
with them all, prefixed by ``who`` (a node or block name).

>>> p = MVUParams(mode=MvuMode.LIF, MW=12, MH=6, SIMD=5, PE=4, T=5, WBITS=4, ACC_BITS=8, STATE_BITS=10)
>>> p.problems()
['SIMD=5 must divide MW=12', 'PE=4 must divide MH=6']
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, replace

import numpy as np

from dietsnn.netfile import Layer
from dietsnn.ref.widths import layer_widths, signed_bits
from dietsnn.vocab import (MAX_HLS_PARAM_BITS, MAX_HLS_WIDTH, MAX_LEAK_SHIFT, MAX_RTL_WEIGHT_BITS, MAX_SIMD_PE,
                           MAX_STATE_BITS, MAX_T, MIN_LEAK_SHIFT, MIN_RTL_WEIGHT_BITS, MIN_T, STATE_BOUND_CAP, Kind,
                           MvuMode)

from .exact import exact_ints

BACKENDS = ("rtl", "hls")  #: the implementations a block has
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class BlockParamError(ValueError):
    """A block asked for parameters it cannot implement."""

    def __init__(self, who: str, problems: list[str]):
        super().__init__(f"{who}: " + "; ".join(problems))
        self.who = who  #: the node or block named
        self.problems = list(problems)  #: each violation, as ``verify_node`` lists them


def _range(problems: list[str], name: str, value, lo: int, hi: int | None = None) -> bool:
    """Append a problem unless ``value`` is an integer in ``lo..hi``; True when it is."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        problems.append(f"{name} must be an integer, not {value!r}")
    elif hi is None and value < lo:
        problems.append(f"{name}={value} must be >= {lo}")
    elif hi is not None and not lo <= value <= hi:
        problems.append(f"{name}={value} must be in {lo}..{hi}")
    else:
        return True
    return False


def _beat(problems: list[str], what: str, bits: int) -> None:
    if bits > MAX_HLS_WIDTH:
        problems.append(f"{what} is {bits} bits, more than the {MAX_HLS_WIDTH} this generator supports")


class _Checked:
    def problems(self, backend: str | None = None) -> list[str]:
        raise NotImplementedError

    def check(self, who: str, backend: str | None = None):
        """``self`` when it has no problem for ``backend``, else ``BlockParamError`` naming ``who``."""
        if backend is not None and backend not in BACKENDS:
            raise ValueError(f"{who}: backend must be one of {BACKENDS}, not {backend!r}")
        bad = self.problems(backend)
        if bad:
            raise BlockParamError(who, bad)
        return self


@dataclass(frozen=True)
class MVUParams(_Checked):
    """One matrix-vector unit + neurons (or output accumulator), as ``hw/rtl/snn_mvu.sv`` and ``hw/hls/snn_*_mvu.h``
    take it. Widths of ``None`` are SPEC section 6's, resolved from the arrays by ``check_mvu_arrays``."""

    mode: MvuMode  #: input_lif, lif, scores or label
    MW: int  #: matrix width: input elements per vector (K*K*C or F)
    MH: int  #: matrix height: output channels
    SIMD: int = 1  #: input elements per beat, divides MW
    PE: int = 1  #: output channels per beat, divides MH
    T: int = 5  #: timesteps per spike word
    WBITS: int = 4  #: signed weight width
    ACC_BITS: int | None = None  #: signed width of a[t]
    STATE_BITS: int | None = None  #: signed width of u[t] (LIF) or of the score v
    IBITS: int = 8  #: unsigned pixel width (input_lif; spike inputs are T-bit words)
    LEAK_SHIFT: int = 0  #: k of leak_k (LIF modes)
    NUM_VECTORS: int = 1  #: input vectors per frame (output positions)
    SBITS: int | None = None  #: HLS output score field width (None: STATE_BITS)
    name: str = "snn_mvu_top"  #: C identifier of the HLS top function

    def __post_init__(self):
        if not isinstance(self.mode, MvuMode) and self.mode in {m.value for m in MvuMode}:
            object.__setattr__(self, "mode", MvuMode(self.mode))

    @property
    def EMIT_LABEL(self) -> int:
        return int(self.mode is MvuMode.LABEL)

    @property
    def LABEL_BITS(self) -> int:
        return max(1, math.ceil(math.log2(self.MH)))

    @property
    def elem_bits(self) -> int:
        """Bits of one input element: a pixel or a T-bit spike word."""
        return self.IBITS if self.mode is MvuMode.INPUT_LIF else self.T

    @property
    def in_width(self) -> int:
        return self.SIMD * self.elem_bits

    @property
    def out_width(self) -> int:
        if self.mode is MvuMode.LABEL:
            return self.LABEL_BITS
        if self.mode is MvuMode.SCORES:
            return self.PE * (self.SBITS or self.STATE_BITS)
        return self.PE * self.T

    def problems(self, backend: str | None = None) -> list[str]:
        bad: list[str] = []
        if not isinstance(self.mode, MvuMode):
            return [f"mode must be one of {[m.value for m in MvuMode]}, not {self.mode!r}"]
        dims = [_range(bad, n, getattr(self, n), 1) for n in ("MW", "MH", "SIMD", "PE")]
        if all(dims):
            for fold, dim in (("SIMD", "MW"), ("PE", "MH")):
                if getattr(self, dim) % getattr(self, fold):
                    bad.append(f"{fold}={getattr(self, fold)} must divide {dim}={getattr(self, dim)}")
        _range(bad, "T", self.T, MIN_T, MAX_T)
        _range(bad, "WBITS", self.WBITS, 1, MAX_HLS_PARAM_BITS)
        _range(bad, "NUM_VECTORS", self.NUM_VECTORS, 1)
        if self.mode is MvuMode.INPUT_LIF:
            _range(bad, "IBITS", self.IBITS, 1, MAX_HLS_PARAM_BITS)
        if self.mode.is_lif:
            _range(bad, "LEAK_SHIFT", self.LEAK_SHIFT, MIN_LEAK_SHIFT, MAX_LEAK_SHIFT)
        for w in ("ACC_BITS", "STATE_BITS", "SBITS"):
            if getattr(self, w) is not None:
                _range(bad, w, getattr(self, w), 1, MAX_HLS_WIDTH)
        if bad or backend is None:
            return bad
        return bad + (self._rtl_caps() if backend == "rtl" else self._hls_caps())

    def _rtl_caps(self) -> list[str]:
        bad = []
        if self.SIMD * self.PE > MAX_SIMD_PE:
            bad.append(f"SIMD*PE={self.SIMD * self.PE} exceeds the limit of {MAX_SIMD_PE} lanes")
        if not MIN_RTL_WEIGHT_BITS <= self.WBITS <= MAX_RTL_WEIGHT_BITS:
            bad.append(f"weight width {self.WBITS} must be in {MIN_RTL_WEIGHT_BITS}..{MAX_RTL_WEIGHT_BITS}")
        acc, state = self.ACC_BITS, self.STATE_BITS
        if acc is not None and state is not None and not acc <= state <= MAX_STATE_BITS:
            bad.append(f"widths must satisfy 1 <= acc_bits ({acc}) <= state_bits ({state}) <= {MAX_STATE_BITS} "
                       f"(the RTL block's widest register)")
        return bad

    def _hls_caps(self) -> list[str]:
        bad = []
        if not isinstance(self.name, str) or not _IDENT.match(self.name):
            bad.append(f"name must be a C identifier, not {self.name!r}")
        _beat(bad, "the input beat", self.in_width)
        if self.STATE_BITS is not None:
            if self.mode in (MvuMode.SCORES, MvuMode.LABEL):
                _beat(bad, "PE*SBITS", self.PE * (self.SBITS or self.STATE_BITS))
            _beat(bad, "the output beat", self.out_width)
        return bad


@dataclass(frozen=True)
class MVUArrays:
    """The integer arrays of one matrix-vector unit, checked against its ``MVUParams``."""

    weight: np.ndarray  #: int64 (MW, MH), FINN's layout
    bias: np.ndarray  #: int64 (MH,)
    theta: np.ndarray | None  #: int64 (MH,) for the LIF modes, else None
    acc_bound: int  #: SPEC section 6's A_max
    state_bound: int  #: SPEC section 6's state (or score) bound


def _int_array(bad: list[str], name: str, a, shape: tuple[int, ...], what: str) -> np.ndarray | None:
    arr = np.asarray(a)
    if arr.dtype.kind == "f":  # a float container: only when it holds integers exactly (hw.exact)
        try:
            arr = exact_ints(arr, name)
        except ValueError as e:
            bad.append(str(e))
            return None
    if arr.dtype.kind not in "iu":
        bad.append(f"{name} must be an integer array, got dtype {arr.dtype}")
    elif arr.shape != shape:
        bad.append(f"{name} has shape {arr.shape}, expected {what} = {shape}")
    elif arr.size and max(-int(arr.min()), int(arr.max())) >= STATE_BOUND_CAP:
        bad.append(f"{name} has values beyond +-2**62")
    else:
        return arr.astype(np.int64)
    return None


def _width(bad: list[str], name: str, given: int | None, needed: int, what: str) -> int:
    if given is not None and given < needed:
        bad.append(f"{name}={given} is too narrow: {what}, which needs {needed} signed bits (SPEC section 6)")
    return needed if given is None else given


def check_mvu_arrays(who: str, p: MVUParams, weight, bias, theta=None,
                     backend: str | None = None) -> tuple[MVUParams, MVUArrays]:
    """Check ``p`` and the arrays together; returns ``p`` with SPEC section 6's widths filled in, and the arrays.

    Raises ``BlockParamError`` naming ``who`` with every problem (the
    parameters' first, then the arrays', then the backend's caps).
    """
    bad = p.problems()
    if bad:
        raise BlockParamError(who, bad)
    w = _int_array(bad, "weights", weight, (p.MW, p.MH), "(MW, MH)")
    if w is not None:
        lo, hi = -(1 << (p.WBITS - 1)), (1 << (p.WBITS - 1)) - 1
        if w.size and (int(w.min()) < lo or int(w.max()) > hi):
            bad.append(f"weights {int(w.min())}..{int(w.max())} do not fit WBITS={p.WBITS} signed ({lo}..{hi})")
    b = _int_array(bad, "bias", bias, (p.MH,), "(MH,)")
    th = None
    if p.mode.is_lif:
        th = _int_array(bad, "theta", theta, (p.MH,), "(MH,)")
        if th is not None and np.any(th <= 0):
            bad.append(f"theta must be positive in every channel, got min {int(th.min())}")
    elif theta is not None:
        bad.append("has no threshold, theta must be None")
    if bad:
        raise BlockParamError(who, bad)
    kind = {MvuMode.INPUT_LIF: Kind.INPUT_LIF, MvuMode.LIF: Kind.LIF_DENSE}.get(p.mode, Kind.OUTPUT_ACCUMULATE)
    max_input = (1 << p.IBITS) - 1 if p.mode is MvuMode.INPUT_LIF else 1
    lw = layer_widths(Layer(name=who, kind=kind, weight=w.T, bias=b, theta=th), max_input, p.T)
    state_what = f"|{'u' if p.mode.is_lif else 'v'}| reaches {lw.state_bound}"
    acc = _width(bad, "ACC_BITS", p.ACC_BITS, lw.acc_bits, f"|a| reaches {lw.acc_bound}")
    state = _width(bad, "STATE_BITS", p.STATE_BITS, lw.state_bits, state_what)
    sbits = _width(bad, "SBITS", p.SBITS, lw.state_bits, state_what) if p.SBITS is not None else None
    if bad:
        raise BlockParamError(who, bad)
    p = replace(p, ACC_BITS=acc, STATE_BITS=state, SBITS=sbits).check(who, backend)
    return p, MVUArrays(w, b, th, lw.acc_bound, lw.state_bound)


@dataclass(frozen=True)
class PoolParams(_Checked):
    """One spike pool (``hw/rtl/snn_spike_pool.sv``, ``hw/hls/snn_spike_pool.h``): the OR of each window."""

    H: int  #: input rows
    W: int  #: input columns
    C: int  #: channels
    KH: int  #: window rows
    KW: int  #: window columns
    SH: int  #: row stride
    SW: int  #: column stride
    PE: int = 1  #: channels per beat, divides C
    T: int = 5  #: timesteps per spike word
    name: str = "snn_spike_pool_top"  #: C identifier of the HLS top function

    @property
    def OH(self) -> int:
        return (self.H - self.KH) // self.SH + 1

    @property
    def OW(self) -> int:
        return (self.W - self.KW) // self.SW + 1

    @property
    def in_width(self) -> int:
        return self.PE * self.T

    out_width = in_width

    def problems(self, backend: str | None = None) -> list[str]:
        bad: list[str] = []
        ok = all([_range(bad, n, getattr(self, n), 1) for n in ("H", "W", "C", "PE")])
        for what, (a, b) in (("window", (self.KH, self.KW)), ("stride", (self.SH, self.SW))):
            if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in (a, b)):
                bad.append(f"{what} must be at least 1, got {a}x{b}")
                ok = False
        _range(bad, "T", self.T, MIN_T, MAX_T)
        if ok and self.C % self.PE:
            bad.append(f"PE={self.PE} must divide C={self.C}")
        if ok and (self.KH > self.H or self.KW > self.W):
            window = f"K={self.KH}" if self.KH == self.KW else f"{self.KH}x{self.KW}"
            bad.append(f"window {window} does not fit the {self.H}x{self.W} input")
        if bad or backend is None:
            return bad
        if backend == "hls":
            if not _IDENT.match(str(self.name)):
                bad.append(f"name must be a C identifier, not {self.name!r}")
            _beat(bad, "the beat", self.in_width)
        return bad


__all__ = ["BACKENDS", "BlockParamError", "MVUParams", "MVUArrays", "check_mvu_arrays", "PoolParams",
           "signed_bits"]
