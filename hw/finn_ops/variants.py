"""The block variants of the project's matrix units, with the cycle and resource model of each.

A matrix unit (``SnnInputMVU``, ``SnnLIFMVU``, ``SnnOutputMVU``) has the
attribute ``variant``:

- ``generic`` (``hw/rtl/snn_mvu.sv``): the weights in a memory (block RAM, or
  LUTRAM when shallow), ``SIMD`` x ``PE`` lanes, all ``T`` timesteps of a
  spike word in parallel trees, every cycle one weight word. Any folding;
  weights can change without rebuilding the logic. Its model is the op's own
  (``SnnMVUBase``), calibrated on Yosys.
- ``const``: the weights are constants in the logic, generated from the
  integer network (never from float32) by the constant-weight generator. It
  takes a whole input vector per beat (``SIMD = MW``: one sliding window per
  cycle, FINN's ``parallel_window``) and computes every output channel
  (``PE = MH``): a spike input one timestep per cycle, so ``T`` cycles per
  vector; the image input computes its products once per vector. A zero
  weight costs nothing; a weight costs the adder-tree logic of its set bits.
  No memory, no DSP. Only the RTL backend has it (no HLS twin).

The folding (``hw.fold``) prices both at the target frame rate and keeps the
cheaper one per layer (``fold.choose_variant``): constant trees where the
weights are few (fmnist's convolutions), the generic unit where they are many
(fc1's 802,816 weights would be ~1.6M LUTs of constants).

The constants below are the calibration: Yosys ``synth_xilinx -family xcup``
of constant-weight blocks of the fmnist network (see ``bench/results/blocks.json``).
"""

from __future__ import annotations

from enum import Enum

import numpy as np


class Variant(str, Enum):
    GENERIC = "generic"  #: weights in memory, any folding (hw/rtl/snn_mvu.sv)
    CONST = "const"  #: weights as constants in logic, whole vector per beat, all channels


VARIANTS = tuple(v.value for v in Variant)

#: LUTs per set bit of |w| of a spike-input constant tree (one timestep per cycle): bit-plane compression
CONST_LUT_PER_WEIGHT_BIT = 1.0
#: LUTs per set bit of |w| of an image-input constant product (shift-adds of an IN_BITS pixel)
CONST_LUT_PER_PIXEL_BIT = 1.0
#: LUTs per output channel and state bit of the neuron / accumulator stages
CONST_LUT_PER_STATE_BIT = 3.0


def weight_stats(w: np.ndarray) -> dict:
    """``nonzero`` weights and the ``ones``: set bits of all |w| (the leaves of a constant compression tree)."""
    w = np.abs(np.asarray(w, dtype=np.int64))
    ones = sum(int(((w >> b) & 1).sum()) for b in range(int(w.max()).bit_length() if w.size else 0))
    return {"nonzero": int(np.count_nonzero(w)), "ones": ones}


def const_cycles_per_vector(inst) -> int:
    """Cycles per input vector of the constant-weight unit: one timestep per cycle for spike inputs; the image
    input's products are computed once per vector."""
    return 1 if inst.image_input else int(inst.get_nodeattr("T"))


def const_luts(inst) -> int:
    """The constant-weight unit's LUTs: the compression trees over the weights' set bits (``weightOnes``,
    written by the folding from the weights) and one neuron or accumulator per output channel."""
    ones = int(inst.get_nodeattr("weightOnes"))
    per = CONST_LUT_PER_PIXEL_BIT * inst.get_input_datatype(0).bitwidth() if inst.image_input \
        else CONST_LUT_PER_WEIGHT_BIT
    state = inst.get_nodeattr("stateBits")
    return int(50 + per * ones + CONST_LUT_PER_STATE_BIT * inst.get_nodeattr("MH") * state)


def variant_problems(inst, backend: str | None) -> list[str]:
    """What a ``const`` unit cannot be: another folding than the whole vector and every channel, or HLS."""
    if inst.get_nodeattr("variant") != Variant.CONST.value:
        return []
    bad = []
    mw, mh = inst.get_nodeattr("MW"), inst.get_nodeattr("MH")
    if inst.get_nodeattr("SIMD") != mw or inst.get_nodeattr("PE") != mh:
        bad.append(f"the const variant takes the whole vector and every channel per beat (SIMD=MW={mw}, PE=MH={mh}), "
                   f"not SIMD={inst.get_nodeattr('SIMD')}, PE={inst.get_nodeattr('PE')}")
    if backend == "hls":
        bad.append("the const variant (weights as constants in logic) has no HLS twin: compile with --impl rtl, "
                   "or keep the generic variant")
    return bad


def const_lanes(inst) -> int:
    """Weights the constant unit holds (for reports): MW x MH."""
    return int(inst.get_nodeattr("MW")) * int(inst.get_nodeattr("MH"))


__all__ = ["Variant", "VARIANTS", "weight_stats", "const_cycles_per_vector", "const_luts", "variant_problems",
           "const_lanes"]
