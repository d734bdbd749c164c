"""``SnnLIFMVU_rtl``: ``SnnLIFMVU`` as ``snn_mvu`` (``hw/rtl/snn_mvu.sv``) in MODE 1: spikes gate the weights,
LIF neurons. The code comes from ``hw.rtl_gen``.
"""

from finn.custom_op.fpgadataflow.rtl import register_custom_op

from ..backends import SnnRTLBackend
from ..lif_mvu import SnnLIFMVU


@register_custom_op
class SnnLIFMVU_rtl(SnnLIFMVU, SnnRTLBackend):
    """``SnnLIFMVU`` specialized to RTL by FINN's ``SpecializeLayers`` (``preferred_impl_style="rtl"``)."""
