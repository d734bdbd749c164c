"""``SnnOutputMVU_rtl``: ``SnnOutputMVU`` as ``snn_mvu`` (``hw/rtl/snn_mvu.sv``) in MODE 2: scores summed over T,
or their argmax (``EMIT_LABEL``). The code comes from ``hw.rtl_gen``.
"""

from finn.custom_op.fpgadataflow.rtl import register_custom_op

from ..backends import SnnRTLBackend
from ..output_mvu import SnnOutputMVU


@register_custom_op
class SnnOutputMVU_rtl(SnnOutputMVU, SnnRTLBackend):
    """``SnnOutputMVU`` specialized to RTL by FINN's ``SpecializeLayers`` (``preferred_impl_style="rtl"``)."""
