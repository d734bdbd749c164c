"""Parameters and memory files of the RTL blocks, validated before any simulator or synthesizer runs.

``mvu_block(...)`` writes ``$readmemh`` files (weights: ``NF*SF`` words of
``PE*SIMD*WBITS`` bits, element ``p*SIMD + s`` = ``W[sf*SIMD + s][nf*PE + p]``
in the LSB-first order of SPEC section 5; bias/theta: ``NF`` words of
``PE*STATE_BITS`` bits) and returns the module parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dietsnn.ref.streams import pack_beats

RTL_DIR = Path(__file__).resolve().parent / "rtl"
MODES = {"input_lif": 0, "lif": 1, "scores": 2, "label": 2}
MAX_SIMD_PE = 4096  #: largest SIMD x PE a block may be built with
MAX_STATE_BITS = 48  #: widest membrane/score register


class BlockParamError(ValueError):
    """A block asked for parameters it cannot implement."""


def _check(cond: bool, msg: str):
    if not cond:
        raise BlockParamError(msg)


def _write_mem(path: Path, words: list[int], width: int) -> None:
    digits = max(1, math.ceil(width / 4))
    path.write_text("".join(f"{w:0{digits}x}\n" for w in words))


@dataclass(frozen=True)
class MVUBlock:
    parameters: dict  #: module parameters of snn_mvu
    sources: tuple  #: RTL files


def mvu_block(name: str, mode: str, weight: np.ndarray, bias: np.ndarray, theta: np.ndarray | None, *,
              simd: int, pe: int, T: int, acc_bits: int, state_bits: int, leak_shift: int = 0,
              in_bits: int = 8, wbits: int = 4, out_dir: Path) -> MVUBlock:
    """Validate one ``snn_mvu`` instance and write its memory files into ``out_dir``."""
    _check(mode in MODES, f"{name}: mode must be one of {sorted(MODES)}, not {mode!r}")
    weight = np.asarray(weight, dtype=np.int64)
    mw, mh = weight.shape
    _check(simd >= 1 and mw % simd == 0, f"{name}: SIMD={simd} must divide MW={mw}")
    _check(pe >= 1 and mh % pe == 0, f"{name}: PE={pe} must divide MH={mh}")
    _check(simd * pe <= MAX_SIMD_PE, f"{name}: SIMD*PE={simd * pe} exceeds the limit of {MAX_SIMD_PE} lanes")
    _check(1 <= T <= 16, f"{name}: T must be in 1..16, not {T}")
    _check(0 <= leak_shift <= 15, f"{name}: leak_shift must be in 0..15, not {leak_shift}")
    _check(2 <= wbits <= 16, f"{name}: weight width {wbits} must be in 2..16")
    lim = 2 ** (wbits - 1)
    _check(int(weight.min(initial=0)) >= -lim and int(weight.max(initial=0)) < lim,
           f"{name}: weights {int(weight.min())}..{int(weight.max())} exceed {wbits}-bit signed range")
    _check(1 <= acc_bits <= state_bits <= MAX_STATE_BITS,
           f"{name}: widths must satisfy 1 <= acc_bits ({acc_bits}) <= state_bits ({state_bits}) <= {MAX_STATE_BITS}")
    blim = 2 ** (state_bits - 1)
    for label, arr in (("bias", bias), ("theta", theta)):
        if arr is not None:
            arr = np.asarray(arr)
            _check(arr.shape == (mh,), f"{name}: {label} must have shape ({mh},), got {arr.shape}")
            _check(int(np.abs(arr).max(initial=0)) < blim, f"{name}: {label} does not fit {state_bits} bits")
    _check(mode == "scores" or mode == "label" or theta is not None, f"{name}: mode {mode} needs theta")
    nf, sf = mh // pe, mw // simd
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    words = []
    for f in range(nf):
        for s in range(sf):
            block = weight[s * simd:(s + 1) * simd, f * pe:(f + 1) * pe]  # (SIMD, PE)
            words += pack_beats(block.T.reshape(-1), wbits, pe * simd, signed=True)
    files = {"WEIGHT_FILE": out_dir / f"{name}_w.mem", "BIAS_FILE": out_dir / f"{name}_b.mem",
             "THETA_FILE": out_dir / f"{name}_t.mem"}
    _write_mem(files["WEIGHT_FILE"], words, pe * simd * wbits)
    _write_mem(files["BIAS_FILE"], pack_beats(np.asarray(bias), state_bits, pe, signed=True), pe * state_bits)
    th = np.asarray(theta) if theta is not None else np.zeros(mh, np.int64)
    _write_mem(files["THETA_FILE"], pack_beats(th, state_bits, pe, signed=True), pe * state_bits)
    params = dict(MODE=MODES[mode], MW=mw, MH=mh, SIMD=simd, PE=pe, T=T, IN_BITS=in_bits, WBITS=wbits,
                  ACC_BITS=acc_bits, STATE_BITS=state_bits, LEAK_SHIFT=leak_shift,
                  EMIT_LABEL=int(mode == "label"), LABEL_BITS=max(1, math.ceil(math.log2(mh))),
                  **{k: f'"{v}"' for k, v in files.items()})
    return MVUBlock(params, (RTL_DIR / "snn_mvu.sv",))


def pool_block(name: str, *, T: int, C: int, pe: int, H: int, W: int, kernel: int, stride: int) -> dict:
    """Validate one ``snn_spike_pool`` instance; returns its parameters."""
    _check(kernel == stride, f"{name}: the RTL spike pool needs stride == kernel, got kernel {kernel}, stride {stride}")
    _check(pe >= 1 and C % pe == 0, f"{name}: PE={pe} must divide C={C}")
    _check(1 <= T <= 16, f"{name}: T must be in 1..16, not {T}")
    _check(H >= kernel and W >= kernel, f"{name}: window {kernel} does not fit {H}x{W}")
    return dict(T=T, C=C, PE=pe, H=H, W=W, K=kernel)


def render_wrapper(top: str, layer: str, op_type: str, core: str, parameters: dict, in_width: int,
                   out_width: int) -> str:
    """The per-layer wrapper with FINN's port names, from ``templates/rtl/layer_wrapper.sv.j2``."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates" / "rtl")),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    pad = lambda w: (w + 7) // 8 * 8  # noqa: E731
    return env.get_template("layer_wrapper.sv.j2").render(
        top=top, layer=layer, op_type=op_type, core=core, parameters=list(parameters.items()),
        in_width=in_width, in_pad=pad(in_width), out_width=out_width, out_pad=pad(out_width))
