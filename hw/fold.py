"""``SetSNNFolding``: PE/SIMD per layer for a target frame rate, as FINN's ``SetFolding`` does.

Like FINN's pass it only uses divisors of the folded dimensions and checks
each candidate with the node's own ``get_exp_cycles()``; unlike FINN's greedy
walk (SIMD first, then PE) it takes, per layer, the candidate with the fewest
parallel lanes (SIMD x PE) that meets the target, and it folds a convolution's
FMPadding and sliding-window generator together with its matrix unit so that
their streams fit without converters where possible:

- MVU SIMD that divides the input channels ``C``: padding and sliding window use the same SIMD;
- MVU SIMD a multiple of ``C``: the sliding window runs in FINN's ``parallel_window`` mode
  (SIMD = ``C``, one window per cycle) and a width converter feeds the MVU.

Run after ``SpecializeLayers`` (it evaluates the ``_rtl``/``_hls`` nodes' cycle models).
A layer that cannot reach the target even fully parallel raises ``FoldingError``
naming it and its best cycle count.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from dietsnn.vocab import Kind

from .fifos import fifo_cost, fill_ratio
from .finn_ops.variants import Variant, weight_stats
from .vocab import MVU_FINN_OPS, base_op, names

log = logging.getLogger(__name__)

MVU_TYPES = MVU_FINN_OPS  #: the project's matrix-vector FINN ops
POOL_TYPE = names(Kind.SPIKE_MAXPOOL).finn_op


class FoldingError(ValueError):
    """No folding reaches the target for some layer."""


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


base_type = base_op  #: ``SnnLIFMVU_rtl`` -> ``SnnLIFMVU`` (``hw.vocab.base_op``)


@dataclass
class LayerNodes:
    """The nodes of one layer: an MVU with its padding and sliding window, or a pool."""

    main: object
    swg: object = None
    pad: object = None


def group_layers(model) -> list[LayerNodes]:
    groups, pending = [], {}
    for node in model.graph.node:
        t = base_type(node.op_type)
        if t == "FMPadding":
            pending["pad"] = node
        elif t == "ConvolutionInputGenerator":
            pending["swg"] = node
        elif t in MVU_TYPES or t == POOL_TYPE:
            groups.append(LayerNodes(node, pending.get("swg"), pending.get("pad")))
            pending = {}
    return groups


def name_layers(model, layer_names: list[str]) -> None:
    """Name each layer's nodes after the network's layer (FINN's passes renumber node names)."""
    groups = group_layers(model)
    if len(groups) != len(layer_names):
        raise ValueError(f"found {len(groups)} hardware layers for {len(layer_names)} network layers")
    for name, group in zip(layer_names, groups):
        group.main.name = name
        if group.swg is not None:
            group.swg.name = f"{name}_swg"
        if group.pad is not None:
            group.pad.name = f"{name}_pad"


class SetSNNFolding(Transformation):
    def __init__(self, target_cycles: int, max_simd_bits: int = 1024, variants: str = "auto"):
        super().__init__()
        if variants not in VARIANT_CHOICES:
            raise ValueError(f"variants must be one of {VARIANT_CHOICES}, not {variants!r}")
        self.target = int(target_cycles)  #: cycles per frame every layer must reach
        self.max_simd_bits = max_simd_bits  #: cap on SIMD * weight bits (FINN's mvau_wwidth_max)
        self.variants = variants  #: "auto" (the cheaper per layer), "generic" or "const" (where it fits)

    def apply(self, model):
        groups = group_layers(model)
        for group in groups:
            if base_type(group.main.op_type) == POOL_TYPE:
                self._fold_pool(group)
            else:
                self._fold_mvu(model, group)
        for prev, group in zip(groups, groups[1:]):
            self._narrow_feed(prev, group)
        return model, False

    # ------------------------------------------------------------------ where the input buffer sits
    def _narrow_feed(self, prev, group):
        """A dense unit with several neuron folds reads each input vector in a burst (the first fold), so a
        whole vector waits in the FIFO in front of it. After a narrower pool, that FIFO can sit on the narrow
        side of the width converter (``hw.fifos.PlaceFIFOs``) at the price of the first fold reading at the
        converter's rate: take the pool's PE (at least its own) whose narrow FIFO, plus the pool's extra
        logic, costs fewer LUT-equivalents (``fifo_lut_equivalent``) than the wide FIFO while the unit still
        meets the target; else keep the FIFO on the wide side."""
        if group.swg is not None or base_type(group.main.op_type) not in MVU_TYPES \
                or base_type(prev.main.op_type) != POOL_TYPE:
            return
        unit, pool = getCustomOp(group.main), getCustomOp(prev.main)
        sf = unit.get_nodeattr("MW") // unit.get_nodeattr("SIMD")
        if unit.get_nodeattr("MH") // unit.get_nodeattr("PE") <= 1:
            return
        wide = unit.get_instream_width()
        old_pe, old_lut = pool.get_nodeattr("PE"), pool.lut_estimation()
        best = (fifo_lut_equivalent(fifo_cost(sf + 2, wide)), old_pe, 0)
        for pe in (d for d in divisors(pool.get_nodeattr("NumChannels")) if d >= old_pe):
            pool.set_nodeattr("PE", pe)
            narrow = pool.get_outstream_width()
            if narrow >= wide:
                break
            unit.set_nodeattr("inputFillWidth", narrow)
            if unit.get_exp_cycles() > self.target:
                continue
            cost = fifo_lut_equivalent(fifo_cost(sf * fill_ratio(wide, narrow) + 2, narrow)) \
                + pool.lut_estimation() - old_lut
            if cost < best[0]:
                best = (cost, pe, narrow)
        pool.set_nodeattr("PE", best[1])
        unit.set_nodeattr("inputFillWidth", best[2])
        if best[2]:
            log.info("fold %s: input vector buffered on the narrow side (%d bits, %s PE=%d) -> %d cycles",
                     group.main.name, best[2], prev.main.name, best[1], unit.get_exp_cycles())

    # ------------------------------------------------------------------ pool
    def _fold_pool(self, group):
        inst = getCustomOp(group.main)
        c = inst.get_nodeattr("NumChannels")
        for pe in divisors(c):
            inst.set_nodeattr("PE", pe)
            if inst.get_exp_cycles() <= self.target:
                return
        raise FoldingError(self._miss(group.main, inst.get_exp_cycles(), f"PE={c} (one pixel of all channels per cycle)"))

    # ------------------------------------------------------------------ matrix units
    def _candidates(self, group):
        inst = getCustomOp(group.main)
        mw, mh = inst.get_nodeattr("MW"), inst.get_nodeattr("MH")
        wbits = inst.get_input_datatype(1).bitwidth()
        c = getCustomOp(group.swg).get_nodeattr("IFMChannels") if group.swg is not None else None
        simds = [s for s in divisors(mw) if s * wbits <= self.max_simd_bits or s == 1]
        if c is not None:
            simds = [s for s in simds if c % s == 0 or s % c == 0]
        pairs = [(s, p) for s in simds for p in divisors(mh)]
        return sorted(pairs, key=lambda sp: (sp[0] * sp[1], -sp[0]))

    def _apply_pair(self, group, simd, pe) -> int:
        inst = getCustomOp(group.main)
        inst.set_nodeattr("SIMD", int(simd))
        inst.set_nodeattr("PE", int(pe))
        cycles = [inst.get_exp_cycles()]
        if group.swg is not None:
            swg = getCustomOp(group.swg)
            c = swg.get_nodeattr("IFMChannels")
            parallel = simd > c
            swg.set_nodeattr("SIMD", int(c if parallel else simd))
            if "parallel_window" in swg.get_nodeattr_types():
                swg.set_nodeattr("parallel_window", int(parallel))
            cycles.append(swg.get_exp_cycles())
            if group.pad is not None:
                pad = getCustomOp(group.pad)
                pad.set_nodeattr("SIMD", int(c if parallel else simd))
                cycles.append(pad.get_exp_cycles())
        return max(cycles)

    def _fold_generic(self, group) -> tuple[int, int, int]:
        """(SIMD, PE, cycles) of the generic unit with the fewest lanes that meets the target, else the fastest."""
        best = None
        for simd, pe in self._candidates(group):
            cycles = self._apply_pair(group, simd, pe)
            if cycles <= self.target:
                return simd, pe, cycles
            if best is None or cycles < best[2]:
                best = (simd, pe, cycles)
        return best

    def _cost(self, group) -> int:
        """The layer's estimated resources in LUT-equivalents (block RAM and DSP at the part's ratios)."""
        total = 0
        for node in (group.pad, group.swg, group.main):
            if node is not None:
                inst = getCustomOp(node)
                total += inst.lut_estimation(None) + LUT_PER_BRAM18 * inst.bram_estimation(None) \
                    + LUT_PER_DSP * inst.dsp_estimation(None)
        return int(total)

    def _fold_mvu(self, model, group):
        """The generic unit at its cheapest folding for the target, or the constant-weight unit (whole vector
        and every channel per beat), whichever costs fewer LUT-equivalents (``_cost``); the choice and both
        costs are written to the node (``variant``, ``variantCosts``)."""
        inst = getCustomOp(group.main)
        mw, mh = inst.get_nodeattr("MW"), inst.get_nodeattr("MH")
        options = {}
        inst.set_nodeattr("variant", Variant.GENERIC.value)
        simd, pe, cycles = self._fold_generic(group)
        fastest = (simd, pe, cycles)
        if cycles <= self.target:
            options[Variant.GENERIC.value] = (simd, pe, cycles, self._cost(group))
        if self._const_allowed(group.main):
            inst.set_nodeattr("weightOnes", weight_stats(model.get_initializer(group.main.input[1]))["ones"])
            inst.set_nodeattr("variant", Variant.CONST.value)
            cycles = self._apply_pair(group, mw, mh)
            if cycles <= self.target:
                options[Variant.CONST.value] = (mw, mh, cycles, self._cost(group))
        if not options:
            inst.set_nodeattr("variant", Variant.GENERIC.value)
            self._apply_pair(group, *fastest[:2])
            raise FoldingError(self._miss(group.main, fastest[2], f"SIMD={fastest[0]}, PE={fastest[1]}"))
        choice = Variant.CONST.value if self.variants == Variant.CONST.value and Variant.CONST.value in options \
            else min(options, key=lambda v: options[v][3])
        simd, pe, cycles, cost = options[choice]
        inst.set_nodeattr("variant", choice)
        self._apply_pair(group, simd, pe)
        why = "; ".join(f"{v}: SIMD={o[0]} PE={o[1]}, {o[2]} cycles, {o[3]} LUT-eq" for v, o in options.items())
        inst.set_nodeattr("variantCosts", why)
        log.info("fold %s: %s SIMD=%d PE=%d -> %d cycles (%s)", group.main.name, choice, simd, pe, cycles, why)

    def _const_allowed(self, node) -> bool:
        """The constant-weight unit is considered for RTL nodes when ``variants`` allows it."""
        return self.variants in ("auto", Variant.CONST.value) and node.op_type.endswith("_rtl") \
            and node.input[1] is not None

    def _miss(self, node, cycles, folding) -> str:
        return (f"layer {node.name} ({base_type(node.op_type)}) cannot reach the target of {self.target} cycles per "
                f"frame: its fastest folding ({folding}) needs {cycles} cycles (including its padding and "
                f"sliding-window nodes); lower --fps or raise --clock-mhz")


#: LUTs one BRAM18 is worth when a FIFO's cost is compared across styles: the xczu7ev's ratio (230,400 LUT /
#: 624 BRAM18), so a block-RAM FIFO counts as the share of the part it takes
LUT_PER_BRAM18 = 369


#: LUTs one DSP48E2 is worth in the same comparison (230,400 LUT / 1,728 DSP)
LUT_PER_DSP = 133
#: ``--variants``: "auto" prices both per layer and keeps the cheaper; "generic" never builds constant weights
#: (an HLS build's RTL twin, weights to be changed without rebuilding); "const" takes them wherever they meet
#: the target and the backend has them
VARIANT_CHOICES = ("auto", Variant.GENERIC.value, Variant.CONST.value)


def fifo_lut_equivalent(cost: dict) -> int:
    """One FIFO's cost (``hw.fifos.fifo_cost``) in LUTs, block RAM at ``LUT_PER_BRAM18``."""
    return cost["LUT"] + LUT_PER_BRAM18 * cost["BRAM_18K"]


def target_cycles(fps: float, clock_mhz: float) -> int:
    if fps <= 0 or clock_mhz <= 0:
        raise ValueError(f"--fps and --clock-mhz must be positive, got {fps} and {clock_mhz}")
    return max(1, math.floor(clock_mhz * 1e6 / fps))
