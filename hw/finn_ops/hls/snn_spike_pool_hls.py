"""``SnnSpikePool_hls``: ``SnnSpikePool`` as ``snn::snn_spike_pool`` (``hw/hls/snn_spike_pool.h``): the OR of
each window per timestep. The code comes from ``hw.hls_gen``.
"""

from finn.custom_op.fpgadataflow.hls import register_custom_op

from ..backends import SnnHLSBackend
from ..spike_pool import SnnSpikePool


@register_custom_op
class SnnSpikePool_hls(SnnSpikePool, SnnHLSBackend):
    """``SnnSpikePool`` specialized to HLS by FINN's ``SpecializeLayers`` (``preferred_impl_style="hls"``)."""
