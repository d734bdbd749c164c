"""``SpikeMaxPool``: OR of the window at each timestep (the bitwise OR of the T-bit words).

Input and output: spike trains (N, C, H, W) UINT``T``.
"""

from dietsnn.vocab import Kind

from .base import SNNOp


class SpikeMaxPool(SNNOp):
    kind = Kind.SPIKE_MAXPOOL
