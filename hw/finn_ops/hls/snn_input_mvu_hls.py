"""``SnnInputMVU_hls``: ``SnnInputMVU`` as ``snn::snn_input_mvu`` (``hw/hls/snn_input_mvu.h``): the window
product of the image, integrated T times by LIF neurons. The code comes from ``hw.hls_gen``.
"""

from finn.custom_op.fpgadataflow.hls import register_custom_op

from ..backends import SnnHLSBackend
from ..input_mvu import SnnInputMVU


@register_custom_op
class SnnInputMVU_hls(SnnInputMVU, SnnHLSBackend):
    """``SnnInputMVU`` specialized to HLS by FINN's ``SpecializeLayers`` (``preferred_impl_style="hls"``)."""
