"""``SnnOutputMVU``: the non-spiking output accumulator ``v[c] = sum_t (a[t] + b[c])``.

Inputs: spike words, weights, bias. Output: signed scores ``(1, MH)`` of
``stateBits`` bits, or with ``emitLabel = 1`` the predicted label (lowest index
on ties) as a ``(1, 1)`` unsigned word.
"""

import math

from finn.custom_op.fpgadataflow import register_custom_op
from qonnx.core.datatype import DataType

from dietsnn.vocab import MvuMode

from .mvu_base import SnnMVUBase


@register_custom_op
class SnnOutputMVU(SnnMVUBase):
    image_input = False

    def get_nodeattr_types(self):
        attrs = super().get_nodeattr_types()
        attrs["emitLabel"] = ("i", False, 0, {0, 1})  #: output the argmax label instead of the scores
        return attrs

    def label_bits(self) -> int:
        return max(1, math.ceil(math.log2(self.get_nodeattr("MH"))))

    def get_output_datatype(self, ind=0):
        if self.get_nodeattr("emitLabel"):
            return DataType[f"UINT{self.label_bits()}"]
        return DataType[f"INT{self.get_nodeattr('stateBits')}"]

    def get_normal_output_shape(self, ind=0):
        if self.get_nodeattr("emitLabel"):
            return tuple(self._vectors() + [1])
        return super().get_normal_output_shape()

    def get_folded_output_shape(self, ind=0):
        if self.get_nodeattr("emitLabel"):
            return tuple(self._vectors() + [1, 1])
        return super().get_folded_output_shape()

    def get_outstream_width(self, ind=0):
        if self.get_nodeattr("emitLabel"):
            return self.get_output_datatype().bitwidth()
        return super().get_outstream_width()

    def mode(self) -> MvuMode:
        return MvuMode.LABEL if self.get_nodeattr("emitLabel") else MvuMode.SCORES

    def neuron_luts(self) -> float:
        T, acc, state = self.get_nodeattr("T"), self.get_nodeattr("accBits"), self.get_nodeattr("stateBits")
        return T * acc + state  # T accumulators, one score accumulator
