"""``SnnLIFMVU``: fused matrix-vector unit + LIF neurons on T-bit spike-train words.

Inputs: spike words ``(1, *vectors, MW)`` UINT<T>, weights ``(MW, MH)``, bias ``(MH,)``,
theta ``(MH,)``. Output: spike words ``(1, *vectors, MH)`` UINT<T>. Weights are
shared across the ``T`` timesteps; each spike selects (gates) a weight, so no
multipliers.
"""

from finn.custom_op.fpgadataflow import register_custom_op

from .mvu_base import SnnMVUBase


@register_custom_op
class SnnLIFMVU(SnnMVUBase):
    image_input = False
