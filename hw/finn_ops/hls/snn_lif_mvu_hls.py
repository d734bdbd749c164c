"""``SnnLIFMVU_hls``: ``SnnLIFMVU`` as ``snn::snn_lif_mvu`` (``hw/hls/snn_lif_mvu.h``): spikes gate the weights,
LIF neurons. The code comes from ``hw.hls_gen``.
"""

from finn.custom_op.fpgadataflow.hls import register_custom_op

from ..backends import SnnHLSBackend
from ..lif_mvu import SnnLIFMVU


@register_custom_op
class SnnLIFMVU_hls(SnnLIFMVU, SnnHLSBackend):
    """``SnnLIFMVU`` specialized to HLS by FINN's ``SpecializeLayers`` (``preferred_impl_style="hls"``)."""
