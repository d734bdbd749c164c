"""``LIFDense``: dense layer on flattened spike trains feeding LIF neurons.

Inputs: spikes (N, F) (PyTorch's (C, H, W) flattening order), weight (O, F), bias (O,), theta (O,).
Output: spike trains (N, O).
"""

from dietsnn.vocab import Kind

from .base import SNNOp


class LIFDense(SNNOp):
    kind = Kind.LIF_DENSE
