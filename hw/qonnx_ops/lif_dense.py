"""``LIFDense``: dense layer on flattened spike trains feeding LIF neurons.

Inputs: spikes (N, F) (PyTorch's (C, H, W) flattening order), weight (O, F), bias (O,), theta (O,).
Output: spike trains (N, O).
"""

from .base import SNNOp


class LIFDense(SNNOp):
    kind = "lif_dense"
