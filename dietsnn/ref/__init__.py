"""Integer reference of SPEC.md in plain numpy: one function per op.

Every level (PyTorch model, QONNX execution, HLS and RTL testbenches, the
board driver) checks itself against these functions.
"""

from .accumulate import output_accumulate, predict_label
from .conv import conv2d_int, dense_int
from .lif import leak, lif_sequence
from .network import GoldenResult, run_layer, run_network
from .pool import spike_maxpool
from .widths import LayerWidths, network_widths

__all__ = ["leak", "lif_sequence", "conv2d_int", "dense_int", "spike_maxpool",
           "output_accumulate", "predict_label", "run_layer", "run_network",
           "GoldenResult", "LayerWidths", "network_widths"]
