"""The constant-weight unit's compressor trees as bit-sliced vectors, for ``snn_cmvu.sv.j2``.

``plan_channel`` (``hw.rtl_const``) plans one tree per output channel: per counter stage a list of k:3 counters,
each with its input bits. Written one counter at a time, a 64-channel conv2 unit is some 6,000 counters; Verilator
turns each into its own statements and the model's per-cycle code grows to megabytes, which the simulation then
fetches from memory every cycle. Here every stage's counters of one size k, over all channels, become one group:
input slot r of the group is one vector (bit n: input r of counter n) and each output bit one vector computed
with bitwise logic over whole vectors (the same full-adder functions as one counter, bit by bit).

For a given plan the netlist is the same: every counter is still its own LUT6 functions of its own inputs; only
the text is grouped. The plan hands each column's 6-input counters their bits in transposed order
(``hw.rtl_const._chunks``), so that slot r of consecutive counters reads consecutive bits of the vectors the
previous stage wrote; the concatenations are then mostly part-selects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: the counters' logic over vectors: (temporaries, outputs) as (name, expression) with i0..i5 the input slots;
#: per bit the functions of one k:3 counter (a popcount of k bits in full-adder logic)
_MAJ = "({0} & {1}) | ({0} & {2}) | ({1} & {2})"
COUNTER_LOGIC = {
    3: ([], ["i0 ^ i1 ^ i2", _MAJ.format("i0", "i1", "i2")]),
    4: ([("s1", "i0 ^ i1 ^ i2"), ("c1", _MAJ.format("i0", "i1", "i2")), ("k0", "s1 & i3")],
        ["s1 ^ i3", "c1 ^ k0", "c1 & k0"]),
    5: ([("s1", "i0 ^ i1 ^ i2"), ("c1", _MAJ.format("i0", "i1", "i2")), ("s2", "i3 ^ i4"), ("c2", "i3 & i4"),
         ("k0", "s1 & s2")],
        ["s1 ^ s2", "c1 ^ c2 ^ k0", _MAJ.format("c1", "c2", "k0")]),
    6: ([("s1", "i0 ^ i1 ^ i2"), ("c1", _MAJ.format("i0", "i1", "i2")), ("s2", "i3 ^ i4 ^ i5"),
         ("c2", _MAJ.format("i3", "i4", "i5")), ("k0", "s1 & s2")],
        ["s1 ^ s2", "c1 ^ c2 ^ k0", _MAJ.format("c1", "c2", "k0")]),
}


@dataclass
class VGroup:
    """The counters of one size in one stage, over all channels."""

    name: str  #: prefix of its vectors
    k: int  #: inputs per counter
    n: int  #: counters (bits per vector)
    ins: list  #: per input slot, the concatenation that forms it (n bits)
    temps: list  #: (vector name, expression) of the full-adder temporaries
    outs: list  #: (vector name, expression) per output bit of the counters


@dataclass
class VStage:
    """One counter stage of every channel's tree."""

    index: int  #: stage number, from 0
    reg: bool  #: registered (else combinational)
    groups: list = field(default_factory=list)  #: VGroup per counter size
    passes: str = ""  #: the vector of the bits carried unchanged ('' if none)
    n_passes: int = 0
    pass_in: str = ""  #: its concatenation


def _parse(ref: str, where: dict) -> tuple:
    """A plan's bit expression as ``(inverted, vector, index)``, or ``(False, "1'b1", None)``."""
    neg = ref.startswith("~")
    body = ref[1:] if neg else ref
    if body == "1'b1":
        return (False, body, None)
    if body.endswith("]"):
        base, idx = body[:-1].split("[")
        if base in where:  # a counter's output bit
            vecs, i = where[base]
            return (neg, vecs[int(idx)], i)
        return (neg, base, int(idx))  # the input vector
    vec, i = where[body]  # a passed bit
    return (neg, vec, i)


def _named(expr: str, names: dict) -> str:
    """``COUNTER_LOGIC``'s expression with its slot and temporary names replaced by a group's vectors."""
    spaced = expr.replace("(", "( ").replace(")", " )").split()
    return " ".join(names.get(tok, tok) for tok in spaced).replace("( ", "(").replace(" )", ")")


def concat(refs: list) -> str:
    """A SystemVerilog concatenation of parsed bits (least significant first), runs merged into part-selects."""
    parts, j = [], 0
    while j < len(refs):
        neg, vec, i = refs[j]
        n = 1
        if i is not None:
            while j + n < len(refs) and refs[j + n][:2] == (neg, vec) and refs[j + n][2] == i + n:
                n += 1
            sel = f"{vec}[{i + n - 1}:{i}]" if n > 1 else f"{vec}[{i}]"
        else:
            while j + n < len(refs) and refs[j + n] == refs[j]:
                n += 1
            sel = vec if n == 1 else f"{{{n}{{{vec}}}}}"
        parts.append(f"~{sel}" if neg else sel)
        j += n
    return parts[0] if len(parts) == 1 else "{" + ", ".join(reversed(parts)) + "}"


def vector_stages(trees: list) -> tuple[list, list, list]:
    """The per-channel plans (same number of stages, same ``reg`` flags) as bit-sliced stages.

    Returns ``(stages, row0, row1)``: ``VStage`` per stage and, per channel, the concatenations of its two rows.
    """
    where: dict[str, tuple] = {}  # plan node -> ((vector per output bit), index) or (vector, index)
    stages = []
    for s in range(len(trees[0].stages)):
        plan = [t.stages[s] for t in trees]
        vs = VStage(index=s, reg=plan[0].reg)
        sizes = sorted({k for st in plan for _, _, k, _ in st.counters})
        new: dict[str, tuple] = {}
        for k in sizes:
            name = f"t{s}k{k}"
            counters = [cnt for st in plan for cnt in st.counters if cnt[2] == k]
            nb = k.bit_length()
            outs = [f"{name}_o{b}" for b in range(nb)]
            for n, (cname, _, _, _) in enumerate(counters):
                new[cname] = (outs, n)
            ins = [concat([_parse(c[3][r], where) for c in counters]) for r in range(k)]
            temps, exprs = COUNTER_LOGIC[k]
            sub = {f"i{r}": f"{name}_i{r}" for r in range(k)} | {t: f"{name}_{t}" for t, _ in temps}
            vs.groups.append(VGroup(name=name, k=k, n=len(counters), ins=ins,
                                    temps=[(sub[t], _named(e, sub)) for t, e in temps],
                                    outs=list(zip(outs, (_named(e, sub) for e in exprs)))))
        passes = [p for st in plan for p in st.passes]
        if passes:
            vs.passes, vs.n_passes = f"t{s}p", len(passes)
            vs.pass_in = concat([_parse(src, where) for _, src in passes])
            for n, (pname, _) in enumerate(passes):
                new[pname] = (vs.passes, n)
        where = new
        stages.append(vs)

    def row(bits: list) -> str:
        return concat([_parse(b, where) if b else (False, "1'b0", None) for b in bits])

    return stages, [row(t.row0) for t in trees], [row(t.row1) for t in trees]
