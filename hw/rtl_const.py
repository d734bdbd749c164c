"""Constant-weight matrix-vector blocks: a layer's integer weights become logic, generated per layer.

``const_block(...)`` takes the same integer arrays as ``hw.rtl_gen.mvu_block``
(weights ``(MW, MH)``, bias, theta; never float values) and writes one module,
``hw/templates/rtl/snn_cmvu.sv.j2`` rendered with the layer's netlist, whose
ports and stream formats are ``snn_mvu``'s with SIMD = MW and PE = MH: a whole
input vector per beat, every output channel per output beat.

The products become a compressor tree per output channel (``plan_channel``):
every 1-bit of |W| times every input bit is one bit in the column of its
weight (for W < 0 the inverted bit, the constants collected in K: -x 2^j =
(~x) 2^j - 2^j), zero weights cost nothing; k:3 counters (k <= 6, full-adder
logic, one LUT6 per output bit) compress the columns, a register after every
``lps`` counter stages, until two rows are left; one two-operand adder gives
``a + b = row0 + row1`` modulo 2^AW: K and the bias enter the columns as
constant bits, and the result is exact because a + b fits AW signed bits.
Widths come from the exact per-layer bounds of the constants. The module writes
the trees of all channels bit-sliced (``hw.cmvu_vectors``: per stage one
vector per counter size and input), the same counters in a text that Verilator
simulates 3x faster.

Time: MODE 1 (spike LIF) and MODE 2 (output accumulator) take one timestep per
cycle (bit-plane t of the held input vector), so a vector takes T cycles; the
LIF is one membrane update per cycle per channel (``u = leak(u) + (o ? a+b-theta
: a+b)``); its spike ``u > theta`` is the sign of a second adder beside it,
``leak(u) + (o ? a+b-2theta-1 : a+b-theta-1)``, so no compare follows an adder
in one stage (as in ``snn_mvu``). The scores accumulate a+b. MODE 0
(image input) computes the product once per vector and integrates it T times in
T pipelined LIF stages: one vector per cycle. The label is a registered compare
tree over the channels (lowest index on ties).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dietsnn.ref.widths import signed_bits
from dietsnn.vocab import MAX_RTL_WEIGHT_BITS, MAX_STATE_BITS, MIN_RTL_WEIGHT_BITS, MvuMode

from .cmvu_vectors import vector_stages
from .block_params import BlockParamError, MVUParams, check_mvu_arrays
from .templating import render

MAX_COUNTER = 6  #: inputs of the widest counter (one LUT6 per output bit)
RTL_DIR = Path(__file__).resolve().parent / "rtl"
MODES = {MvuMode.INPUT_LIF: 0, MvuMode.LIF: 1, MvuMode.SCORES: 2, MvuMode.LABEL: 2}


@dataclass
class Stage:
    """One counter stage of a channel's tree."""

    reg: bool = False  #: registered (else combinational)
    counters: list = field(default_factory=list)  #: (name, out_bits, k, [input bits]) per k:3 counter
    passes: list = field(default_factory=list)  #: (name, input bit) carried to the next stage


@dataclass
class ChannelTree:
    """The compressor tree of one output channel: ``a = row0 + row1`` modulo ``2^width`` (K in the columns)."""

    stages: list  #: Stage per counter stage (all channels of a block have the same number)
    row0: list  #: bit expressions of the first row, column 0 first ('' = 0)
    row1: list  #: of the second row
    K: int  #: the constant from negative weights plus the bias (its bits mod 2^width are in the columns)
    lo: int  #: smallest value of a
    hi: int  #: largest value of a
    inputs: int  #: input bits entering the tree (1-bits of |W| x input bits)
    width: int  #: signed bits of a: the rows are added modulo 2^width


def _bit(x: str, i: int, k: int, ebits: int) -> str:
    return f"{x}[{i * ebits + k}]" if ebits > 1 else f"{x}[{i}]"


def sum_bounds(w: np.ndarray, ebits: int, bias: int = 0) -> tuple[int, int]:
    """The smallest and largest ``x @ w + bias`` over inputs of ``ebits`` unsigned bits."""
    top = (1 << ebits) - 1
    return (sum(min(0, int(v)) for v in w) * top + int(bias), sum(max(0, int(v)) for v in w) * top + int(bias))


def _chunks(bits: list) -> list:
    """A column's counters, as their input bits: k:3 counters of at most ``MAX_COUNTER`` bits while more than two
    bits are left (the rest is passed on). The full counters take their bits in transposed order (counter q of m:
    bits q, m + q, 2m + q, ...), so that input r of consecutive counters is a run of consecutive bits, which
    ``hw.cmvu_vectors`` turns into part-selects. The counter sizes per column are those of plain chunking, and no
    stage gets deeper (a column's bits are all the previous stage's outputs, counters or passes); only which bits
    share a counter changes, so synthesis moves a little (fmnist conv2: 20,666 LUT against 21,029, same FF)."""
    sizes, i = [], 0
    while len(bits) - i > 2:
        sizes.append(min(MAX_COUNTER, len(bits) - i))
        i += sizes[-1]
    m = sum(1 for k in sizes if k == MAX_COUNTER)
    full = [[bits[r * m + q] for r in range(MAX_COUNTER)] for q in range(m)]
    return full + [bits[m * MAX_COUNTER:i]] if len(sizes) > m else full


def plan_channel(w: np.ndarray, ebits: int, prefix: str, x: str = "x_reg", bias: int = 0,
                 width: int | None = None) -> ChannelTree:
    """The compressor tree of one channel with integer weights ``w`` (MW,) over inputs of ``ebits`` unsigned bits:
    ``a = x @ w + bias`` in ``width`` signed bits (default: the exact bound).

    The constant K (from negative weights, plus ``bias``) enters the columns as constant 1-bits of
    ``K mod 2^width``, so that one two-operand adder gives ``a = row0 + row1`` modulo ``2^width``; columns at
    ``width`` and above are never built. Exact, since ``a`` fits ``width`` signed bits (two's complement).
    ``prefix`` names its nodes; ``x`` is the input vector (element i, bit k at ``x[i*ebits + k]``).
    """
    lo, hi = sum_bounds(w, ebits, bias)
    need = signed_bits(max(abs(lo), abs(hi)))
    width = need if width is None else int(width)
    if width < need:
        raise ValueError(f"{prefix}: a in [{lo}, {hi}] needs {need} signed bits, not {width}")
    cols: dict[int, list[str]] = defaultdict(list)
    K = int(bias)
    for i, v in enumerate(int(v) for v in w):
        for j in range(abs(v).bit_length()):
            if not (abs(v) >> j) & 1:
                continue
            for k in range(ebits):
                b = _bit(x, i, k, ebits)
                if v > 0:
                    cols[j + k].append(b)
                else:
                    cols[j + k].append(f"~{b}")
                    K -= 1 << (j + k)
    cols = defaultdict(list, {c: b for c, b in cols.items() if c < width})
    n_in = sum(len(c) for c in cols.values())
    for c in range(width):
        if ((K % (1 << width)) >> c) & 1:
            cols[c].append("1'b1")
    stages = []
    uid = 0
    while any(len(b) > 2 for b in cols.values()):
        st = Stage()
        nxt: dict[int, list[str]] = defaultdict(list)
        for c in sorted(cols):
            bits = cols[c]
            chunks = _chunks(bits)
            for take in chunks:
                nb = len(take).bit_length()
                name = f"{prefix}_q{uid}"
                uid += 1
                st.counters.append((name, nb, len(take), take))
                for b in range(nb):
                    if c + b < width:
                        nxt[c + b].append(f"{name}[{b}]")
            for b in bits[sum(map(len, chunks)):]:
                if b == "1'b1":  # a constant needs no register
                    nxt[c].append(b)
                    continue
                name = f"{prefix}_q{uid}"
                uid += 1
                st.passes.append((name, b))
                nxt[c].append(name)
        stages.append(st)
        cols = nxt
    row0 = [cols[c][0] if len(cols.get(c, [])) > 0 else "" for c in range(width)]
    row1 = [cols[c][1] if len(cols.get(c, [])) > 1 else "" for c in range(width)]
    return ChannelTree(stages, row0, row1, K, lo, hi, n_in, width)


def _pad_stages(tree: ChannelTree, n: int, prefix: str) -> None:
    """Append pass-only stages so that the tree has ``n`` stages (every channel the same latency)."""
    uid = 0
    while len(tree.stages) < n:
        st = Stage()
        for row in (tree.row0, tree.row1):
            for c, b in enumerate(row):
                if b and b != "1'b1":
                    name = f"{prefix}_p{uid}"
                    uid += 1
                    st.passes.append((name, b))
                    row[c] = name
        tree.stages.append(st)


def eval_tree(tree: ChannelTree, x_bits: np.ndarray) -> np.ndarray:
    """Evaluate a plan on input bit vectors ``x_bits`` (N, MW*ebits) of 0/1: the ``a`` it computes, (N,).

    A software model of the generated logic (counters, passes, the final adder modulo 2^width), for tests.
    """
    x_bits = np.asarray(x_bits, dtype=np.int64)
    env = {}

    def val(b: str) -> np.ndarray:
        if b == "1'b1":
            return np.ones(len(x_bits), dtype=np.int64)
        neg = b.startswith("~")
        name = b[1:] if neg else b
        if name.endswith("]") and "[" in name and not name.startswith("x"):
            base, idx = name[:-1].split("[")
            v = (env[base] >> int(idx)) & 1
        elif "[" in name:
            v = x_bits[:, int(name[name.index("[") + 1:-1])]
        else:
            v = env[name]
        return 1 - v if neg else v

    for st in tree.stages:
        new = {}
        for name, _, _, ins in st.counters:
            new[name] = sum(val(b) for b in ins)
        for name, b in st.passes:
            new[name] = val(b)
        env.update(new)
    r0 = sum(val(b) << c for c, b in enumerate(tree.row0) if b) if any(tree.row0) else 0
    r1 = sum(val(b) << c for c, b in enumerate(tree.row1) if b) if any(tree.row1) else 0
    a = np.asarray(r0 + r1, dtype=np.int64) * np.ones(len(x_bits), dtype=np.int64) % (1 << tree.width)
    return np.where(a >= 1 << (tree.width - 1), a - (1 << tree.width), a)


@dataclass(frozen=True)
class ConstBlock:
    """A generated constant-weight block: what the folding and the stitcher need."""

    module: str  #: the generated module (ports as snn_mvu's)
    sources: tuple  #: its RTL file(s)
    mode: str  #: input_lif, lif, scores or label
    MW: int  #: input elements per vector = per input beat (SIMD)
    MH: int  #: output channels = per output beat (PE)
    T: int  #: timesteps
    cycles_per_vector: int  #: 1 for input_lif, T for spike inputs (one timestep per cycle)
    latency: int  #: cycles from the last input beat of a vector to its output beat, without stalls
    in_width: int  #: input stream bits
    out_width: int  #: output stream bits
    acc_bits: int  #: signed bits of a[t] (exact bound of the constants)
    state_bits: int  #: signed bits of the membrane / score inside the block
    tree_inputs: int  #: bits entering the compressor trees, summed over the channels
    counters: dict  #: counters per size k, summed over the channels
    stages: int  #: counter stages of every tree
    lut_estimate: int  #: LUTs from the plan (``estimate_resources``), before synthesis
    ff_estimate: int  #: flip-flops from the plan
    parameters: dict = field(default_factory=dict)  #: module parameters (none: everything is generated)


def estimate_resources(trees: list, m: int, T: int, MW: int, sb: int, leak_shift: int, label: bool) -> dict:
    """LUT and FF of a planned block, counted from its netlist: one LUT per counter output bit, one per adder bit
    (the carry chains), the bit-plane selection (a T:1 mux per input element, MODE 1/2), the LIF or accumulator
    per channel; flip-flops of the registered stages. DSP and BRAM: none."""
    mh = len(trees)
    aw = max(t.width for t in trees)
    db = sb + 2  # the spike adder's width
    lut = sum(nb for t in trees for st in t.stages for _, nb, _, _ in st.counters) + mh * aw
    ff = sum(sum(nb for _, nb, _, _ in st.counters) + len(st.passes) for t in trees for st in t.stages if st.reg)
    # the summands a+b-theta, a+b-theta-1, a+b-2theta-1 (constant adds); per update the membrane and the spike
    # adders (three-operand with leak: a compressor level and a chain)
    prep = sb + 2 * db
    update = (2 if leak_shift else 1) * (sb + db)
    if m == 0 and not leak_shift:  # a compare per timestep with a table of constants
        lut += mh * T * sb
        ff += MW * 8 + mh * (aw + (aw + 4) * T)
    elif m == 0:
        lut += mh * (prep + T * update)
        ff += MW * 8 + mh * (aw + prep + (3 * sb + 2 * db + 1) * T)
    elif m == 1:
        lut += -(-T // 4) * MW * (T > 1) + mh * (prep + update)
        ff += MW * (T + 1) + mh * (aw + 3 * sb + 2 * db + 1 + T)
    else:
        lut += -(-T // 4) * MW * (T > 1) + mh * sb + (2 * sb * (mh - 1) if label else 0)
        ff += MW * (T + 1) + mh * (aw + sb) + (2 * sb * mh if label else 0)
    return {"LUT": int(lut), "FF": int(ff), "DSP": 0, "BRAM_18K": 0}


def _lit(v: int, w: int) -> str:
    return f"{w}'sd{v}" if v >= 0 else f"-{w}'sd{-v}"


def const_block(name: str, mode: str, weight: np.ndarray, bias: np.ndarray, theta: np.ndarray | None, *, T: int,
                leak_shift: int = 0, in_bits: int = 8, wbits: int = 4, state_bits: int | None = None,
                lps: int = 2, out_dir: Path) -> ConstBlock:
    """Generate ``<name>_cmvu.sv`` into ``out_dir`` for one layer (arrays as ``hw.rtl_gen.mvu_block`` takes them).

    ``state_bits``: the score width of the output stream (MODE 2; default SPEC section 6's); the block's own
    registers use the exact bounds of its constants. ``lps``: counter stages per pipeline register.
    """
    if mode not in {m.value for m in MvuMode}:
        raise BlockParamError(name, [f"mode must be one of {sorted(m.value for m in MvuMode)}, not {mode!r}"])
    if not isinstance(lps, int) or lps < 1:
        raise BlockParamError(name, [f"lps={lps!r} must be an integer >= 1"])
    mw, mh = int(np.shape(weight)[0]), int(np.shape(weight)[1])
    p = MVUParams(mode=MvuMode(mode), MW=mw, MH=mh, SIMD=mw, PE=mh, T=T, WBITS=wbits, ACC_BITS=None,
                  STATE_BITS=state_bits, IBITS=in_bits, LEAK_SHIFT=leak_shift)
    # the generic checks (snn_mvu's lane cap does not apply: the lanes are logic, not memory words)
    p, arr = check_mvu_arrays(name, p, weight, bias, theta if p.mode.is_lif else None, backend=None)
    if not MIN_RTL_WEIGHT_BITS <= p.WBITS <= MAX_RTL_WEIGHT_BITS:
        raise BlockParamError(name, [f"weight width {p.WBITS} must be in {MIN_RTL_WEIGHT_BITS}..{MAX_RTL_WEIGHT_BITS}"])
    if p.STATE_BITS > MAX_STATE_BITS:
        raise BlockParamError(name, [f"state_bits={p.STATE_BITS} exceeds the widest register, {MAX_STATE_BITS} bits"])
    m = MODES[p.mode]
    ebits = p.IBITS if m == 0 else 1
    module = f"{name}_cmvu"
    b = [int(v) for v in arr.bias]
    bounds = [sum_bounds(arr.weight[:, c], ebits, b[c]) for c in range(mh)]
    aw = signed_bits(max(max(abs(lo), abs(hi)) for lo, hi in bounds))  # a + b (the adder's output)
    trees = [plan_channel(arr.weight[:, c], ebits, f"c{c}", bias=b[c], width=aw) for c in range(mh)]
    n_st = max(len(t.stages) for t in trees)
    for c, t in enumerate(trees):
        _pad_stages(t, n_st, f"c{c}")
    for t in trees:
        for s, st in enumerate(t.stages, start=1):
            st.reg = s % lps == 0 or s == n_st
    tree_lat = sum(1 for st in trees[0].stages if st.reg)
    th = [int(v) for v in arr.theta] if arr.theta is not None else [0] * mh
    # t.lo, t.hi: the bounds of a + b
    if m == 2:
        sbound = max(T * max(abs(t.lo), abs(t.hi)) for t in trees)
    else:
        sbound = max(T * (max(abs(t.lo), abs(t.hi)) + th[c]) + th[c] for c, t in enumerate(trees))
    sb = max(signed_bits(sbound), aw)
    out_sb = p.STATE_BITS
    if m == 2 and sb > out_sb:
        raise BlockParamError(name, [f"the scores need {sb} bits, more than the stream's {out_sb}"])
    vstages, row0, row1 = vector_stages(trees)  # both rows are AW bits (plan_channel's width)
    chans = []
    for c, t in enumerate(trees):
        chans.append(dict(
            TH=_lit(th[c], sb), TH1=_lit(th[c] + 1, sb + 2), TH21=_lit(2 * th[c] + 1, sb + 2),
            # no leak, constant input (MODE 0): o[t] = (a+b) > floor(theta (s+1) / (t+1)), s = spikes before t
            # (s <= t at step t; the table is T + 1 deep in s so that the count's SW bits index it exactly, the
            # unreachable entries s > t hold theta)
            C=[[_lit(th[c] * (s + 1) // (t + 1) if s <= t else th[c], sb) for s in range(T + 1)]
               for t in range(T)]))
    label_levels = max(1, math.ceil(math.log2(mh))) if p.mode is MvuMode.LABEL and mh > 1 else 0
    post = {0: 1 + T, 1: 2, 2: 1 + label_levels}[m]  # after the adder: (N, L_0..L_T-1) / (P, L) / (A, M...)
    latency = 1 + tree_lat + 1 + post + 1 - (1 if m != 0 else 0)
    counters = defaultdict(int)
    for t in trees:
        for st in t.stages:
            for _, _, k, _ in st.counters:
                counters[k] += 1
    text = render("rtl/snn_cmvu.sv.j2", module=module, layer=name, mode=m, mode_name=p.mode.value,
                  emit_label=p.EMIT_LABEL, T=T, MW=mw, MH=mh, IN_BITS=p.IBITS, EBITS=p.elem_bits,
                  LEAK_SHIFT=p.LEAK_SHIFT, AW=aw, SB=sb, OUT_SB=out_sb, LABEL_BITS=p.LABEL_BITS,
                  in_width=p.in_width, out_width=p.out_width, tree_lat=tree_lat, label_levels=label_levels,
                  lps=lps, chans=chans, vstages=vstages, rows=list(zip(row0, row1)))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{module}.sv"
    tmp = path.with_suffix(".sv.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    est = estimate_resources(trees, m, T, mw, sb, p.LEAK_SHIFT, p.mode is MvuMode.LABEL)
    return ConstBlock(module=module, sources=(path,), mode=p.mode.value, MW=mw, MH=mh, T=T,
                      cycles_per_vector=1 if m == 0 else T, latency=latency, in_width=p.in_width,
                      out_width=p.out_width, acc_bits=aw, state_bits=sb, tree_inputs=sum(t.inputs for t in trees),
                      counters=dict(sorted(counters.items())), stages=n_st, lut_estimate=est["LUT"],
                      ff_estimate=est["FF"])
