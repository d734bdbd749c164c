"""The project's QONNX custom ops; the ONNX domain is this module's path, ``hw.qonnx_ops``."""

from .input_lif import InputLIF
from .lif_conv import LIFConv
from .lif_dense import LIFDense
from .output_accumulate import OutputAccumulate
from .spike_maxpool import SpikeMaxPool

custom_op = {
    "InputLIF": InputLIF,
    "LIFConv": LIFConv,
    "LIFDense": LIFDense,
    "SpikeMaxPool": SpikeMaxPool,
    "OutputAccumulate": OutputAccumulate,
}

OP_TYPES = {"input_lif": "InputLIF", "lif_conv": "LIFConv", "lif_dense": "LIFDense",
            "spike_maxpool": "SpikeMaxPool", "output_accumulate": "OutputAccumulate"}

__all__ = ["InputLIF", "LIFConv", "LIFDense", "SpikeMaxPool", "OutputAccumulate", "custom_op", "OP_TYPES"]
