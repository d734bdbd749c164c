"""``InputLIF``: convolution on the 8-bit image, the product integrated ``T`` times by LIF neurons.

Inputs: image (N, C, H, W) UINT8, weight (O, C, KH, KW), bias (O,), theta (O,).
Output: spike trains (N, O, OH, OW), UINT``T`` words.
"""

from dietsnn.vocab import Kind

from .base import SNNOp


class InputLIF(SNNOp):
    kind = Kind.INPUT_LIF
