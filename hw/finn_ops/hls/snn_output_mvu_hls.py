"""``SnnOutputMVU_hls``: ``SnnOutputMVU`` as ``snn::snn_output_mvu`` (``hw/hls/snn_output_mvu.h``): scores summed
over T, or their argmax (``EMIT_LABEL``). The code comes from ``hw.hls_gen``.
"""

from finn.custom_op.fpgadataflow.hls import register_custom_op

from ..backends import SnnHLSBackend
from ..output_mvu import SnnOutputMVU


@register_custom_op
class SnnOutputMVU_hls(SnnOutputMVU, SnnHLSBackend):
    """``SnnOutputMVU`` specialized to HLS by FINN's ``SpecializeLayers`` (``preferred_impl_style="hls"``)."""
