"""``LIFConv``: convolution on spike trains (UINT``T`` words) feeding LIF neurons.

Inputs: spikes (N, C, H, W), weight (O, C, KH, KW), bias (O,), theta (O,).
Output: spike trains (N, O, OH, OW).
"""

from dietsnn.vocab import Kind

from .base import SNNOp


class LIFConv(SNNOp):
    kind = Kind.LIF_CONV
