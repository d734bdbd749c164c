"""``SnnInputMVU_rtl``: ``SnnInputMVU`` as ``snn_mvu`` (``hw/rtl/snn_mvu.sv``) in MODE 0: the window product of
the image, integrated T times by LIF neurons. The code comes from ``hw.rtl_gen``.
"""

from finn.custom_op.fpgadataflow.rtl import register_custom_op

from ..backends import SnnRTLBackend
from ..input_mvu import SnnInputMVU


@register_custom_op
class SnnInputMVU_rtl(SnnInputMVU, SnnRTLBackend):
    """``SnnInputMVU`` specialized to RTL by FINN's ``SpecializeLayers`` (``preferred_impl_style="rtl"``)."""
