"""The project's QONNX custom ops; the ONNX domain is this module's path, ``hw.qonnx_ops``.

One op per layer kind; ``hw.vocab.LAYERS`` names each kind's op (``OP_TYPES``).
"""

from .input_lif import InputLIF
from .lif_conv import LIFConv
from .lif_dense import LIFDense
from .output_accumulate import OutputAccumulate
from .spike_maxpool import SpikeMaxPool

from ..vocab import LAYERS

custom_op = {cls.__name__: cls for cls in (InputLIF, LIFConv, LIFDense, SpikeMaxPool, OutputAccumulate)}
assert all(cls.kind is LAYERS[cls.kind].kind and LAYERS[cls.kind].qonnx_op == name for name, cls in custom_op.items())

OP_TYPES = {kind: n.qonnx_op for kind, n in LAYERS.items()}  #: layer kind -> QONNX op type

__all__ = ["InputLIF", "LIFConv", "LIFDense", "SpikeMaxPool", "OutputAccumulate", "custom_op", "OP_TYPES"]
