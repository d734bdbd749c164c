"""The project's vocabulary: the layer kinds and every limit, in one place.

A layer kind is the string the network file holds (SPEC section 8), so
``Kind.LIF_CONV == "lif_conv"`` and files never change. Every level names a
kind through this enum; the hardware names of each kind (QONNX op, FINN op,
RTL block and mode, HLS kernel) are one table in ``hw/vocab.py``, kept out of
this numpy base, which the board package also imports.

The limits are those of SPEC (``T``, leak shift, pixel and weight widths) and
the caps of the levels that carry or compute the integers (SPEC section 6,
"Implementation bounds"): a level computes exactly or refuses the network,
naming the layer, the bound and the cap.

>>> Kind("lif_dense").is_lif, Kind.SPIKE_MAXPOOL.has_weights
(True, False)
>>> f"{Kind.INPUT_LIF}"
'input_lif'
"""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    """A layer kind of SPEC sections 1 and 8; the value is the network file's ``kind`` string."""

    INPUT_LIF = "input_lif"  #: convolution on the integer image, LIF neurons (the first layer)
    LIF_CONV = "lif_conv"  #: convolution on spike trains, LIF neurons
    LIF_DENSE = "lif_dense"  #: dense layer on spike trains, LIF neurons
    SPIKE_MAXPOOL = "spike_maxpool"  #: OR of each window per timestep
    OUTPUT_ACCUMULATE = "output_accumulate"  #: dense, non-spiking, summed over T (the last layer)

    @property
    def is_lif(self) -> bool:
        """Spiking neurons with bias, threshold and leak."""
        return self in LIF_KINDS

    @property
    def is_conv(self) -> bool:
        """A convolution (kernel, stride, pad)."""
        return self in CONV_KINDS

    @property
    def is_dense(self) -> bool:
        """A dense layer on the flattened input."""
        return self in DENSE_KINDS

    @property
    def is_pool(self) -> bool:
        return self is Kind.SPIKE_MAXPOOL

    @property
    def has_weights(self) -> bool:
        return self is not Kind.SPIKE_MAXPOOL

    @property
    def has_window(self) -> bool:
        """Kernel and stride fields in the network file: convolutions and pooling."""
        return self.is_conv or self.is_pool


LIF_KINDS = frozenset({Kind.INPUT_LIF, Kind.LIF_CONV, Kind.LIF_DENSE})
CONV_KINDS = frozenset({Kind.INPUT_LIF, Kind.LIF_CONV})
DENSE_KINDS = frozenset({Kind.LIF_DENSE, Kind.OUTPUT_ACCUMULATE})


class MvuMode(enum.StrEnum):
    """What a matrix-vector unit computes (``dietsnn.ref.mvu.mvu_layer``; the RTL's ``MODE``)."""

    INPUT_LIF = "input_lif"  #: pixels in, the product integrated T times by LIF neurons, spike words out
    LIF = "lif"  #: spike words in, LIF neurons, spike words out
    SCORES = "scores"  #: spike words in, integer scores summed over T out
    LABEL = "label"  #: as SCORES, but the argmax label (lowest index on ties) out

    @property
    def is_lif(self) -> bool:
        return self in (MvuMode.INPUT_LIF, MvuMode.LIF)

    @property
    def image_input(self) -> bool:
        return self is MvuMode.INPUT_LIF


def mvu_mode(kind: Kind | str, emit_label: bool = False) -> MvuMode:
    """The matrix-vector mode that computes a weighted layer of ``kind``."""
    kind = Kind(kind)
    if kind is Kind.SPIKE_MAXPOOL:
        raise ValueError(f"{kind} has no weights: no matrix-vector mode")
    if kind is Kind.OUTPUT_ACCUMULATE:
        return MvuMode.LABEL if emit_label else MvuMode.SCORES
    return MvuMode.INPUT_LIF if kind is Kind.INPUT_LIF else MvuMode.LIF


# ---------------------------------------------------------------- SPEC's limits (the network file)
MIN_T, MAX_T = 1, 16  #: timesteps (SPEC section 1)
MIN_LEAK_SHIFT, MAX_LEAK_SHIFT = 0, 15  #: k of leak_k (SPEC section 2)
MIN_INPUT_BITS, MAX_INPUT_BITS = 1, 16  #: unsigned pixel width
MIN_WEIGHT_BITS, MAX_WEIGHT_BITS = 2, 16  #: signed weight width (``weight_bits``)
#: every layer's SPEC section 6 state bound stays below this, so the int64 golden never wraps
STATE_BOUND_CAP = 2**62

# ---------------------------------------------------------------- the levels' caps (SPEC section 6)
#: integers carried in float32 containers are exact below this (QONNX/FINN stream tensors:
#: spike words of T bits and pixels of input_bits bits, both at most 16 bits, so far below it)
FLOAT32_EXACT = 2**24
MAX_STATE_BITS = 48  #: the RTL block's widest membrane/score register (hw/rtl/snn_mvu.sv)
MAX_SIMD_PE = 4096  #: the RTL block's largest SIMD x PE (lanes)
MIN_RTL_WEIGHT_BITS, MAX_RTL_WEIGHT_BITS = 2, 16  #: signed weight widths the RTL block is built for
MAX_HLS_WIDTH = 4096  #: the widest ap_int/ap_uint the HLS generator declares
MAX_HLS_PARAM_BITS = 32  #: the widest WBITS/IBITS the HLS kernels take

# ---------------------------------------------------------------- build targets
#: above any PL clock of FINN's Zynq parts: a larger --clock-mhz is a clock given in Hz
MAX_CLOCK_MHZ = 1000.0


def check_range(who: str, name: str, value, lo: int, hi: int | None = None) -> int:
    """``value`` as an int in ``lo..hi`` (``hi`` None: no upper bound), else a ValueError ``"{who}: ..."``."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{who}: {name} must be an integer, not {value!r}")
    value = int(value)
    if hi is None and value < lo:
        raise ValueError(f"{who}: {name}={value} must be >= {lo}")
    if hi is not None and not lo <= value <= hi:
        raise ValueError(f"{who}: {name}={value} must be in {lo}..{hi}")
    return value


__all__ = ["Kind", "LIF_KINDS", "CONV_KINDS", "DENSE_KINDS", "MvuMode", "mvu_mode", "MIN_T", "MAX_T",
           "MIN_LEAK_SHIFT", "MAX_LEAK_SHIFT", "MIN_INPUT_BITS", "MAX_INPUT_BITS", "MIN_WEIGHT_BITS",
           "MAX_WEIGHT_BITS", "STATE_BOUND_CAP", "FLOAT32_EXACT", "MAX_STATE_BITS", "MAX_SIMD_PE",
           "MIN_RTL_WEIGHT_BITS", "MAX_RTL_WEIGHT_BITS", "MAX_HLS_WIDTH", "MAX_HLS_PARAM_BITS", "check_range"]
