"""``OutputAccumulate``: non-spiking dense layer summed over the ``T`` timesteps.

Inputs: spikes (N, F), weight (O, F), bias (O,). Output: integer scores (N, O),
signed, of the width SPEC section 6 gives (``score_bits`` attribute).
"""

from qonnx.core.datatype import DataType

from dietsnn.vocab import Kind

from .base import SNNOp


class OutputAccumulate(SNNOp):
    kind = Kind.OUTPUT_ACCUMULATE

    def get_nodeattr_types(self):
        return {**super().get_nodeattr_types(), "score_bits": ("i", True, 32)}

    def output_datatype(self, model):
        return DataType[f"INT{int(self.get_nodeattr('score_bits'))}"]
