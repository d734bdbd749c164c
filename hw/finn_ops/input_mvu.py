"""``SnnInputMVU``: the first layer: matrix-vector unit on 8-bit pixels + LIF neurons.

The window product ``a = sum(W * x)`` is computed once per output position and
integrated ``T`` times by the neuron (direct input encoding, SPEC section 3).
Inputs: pixels ``(1, *vectors, MW)`` UINT<bits_in>, weights, bias, theta; output spike words.
"""

from finn.custom_op.fpgadataflow import register_custom_op

from .mvu_base import SnnMVUBase
from .variants import Variant


@register_custom_op
class SnnInputMVU(SnnMVUBase):
    image_input = True

    def tree_luts(self) -> float:
        simd = self.get_nodeattr("SIMD")
        w, a = self.get_input_datatype(1).bitwidth(), self.get_input_datatype(0).bitwidth()
        return (w + a) * (2 * simd - 1)  # one product per lane (DSPs, as synthesis maps them) and their tree

    def neuron_luts(self) -> float:
        T, acc, state = self.get_nodeattr("T"), self.get_nodeattr("accBits"), self.get_nodeattr("stateBits")
        return acc + T * 3 * state  # one accumulator, T neuron updates

    def dsp_estimation(self, fpgapart=None):
        if self.get_nodeattr("variant") == Variant.CONST.value:
            return 0  # constant products are shift-adds in LUTs
        return self.get_nodeattr("SIMD") * self.get_nodeattr("PE")  # one pixel x weight product per lane
