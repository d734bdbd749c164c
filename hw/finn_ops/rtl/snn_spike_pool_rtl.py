"""``SnnSpikePool_rtl``: ``SnnSpikePool`` as ``snn_spike_pool`` (``hw/rtl/snn_spike_pool.sv``): the OR of each
window per timestep. The code comes from ``hw.rtl_gen``.
"""

from finn.custom_op.fpgadataflow.rtl import register_custom_op

from ..backends import SnnRTLBackend
from ..spike_pool import SnnSpikePool


@register_custom_op
class SnnSpikePool_rtl(SnnSpikePool, SnnRTLBackend):
    """``SnnSpikePool`` specialized to RTL by FINN's ``SpecializeLayers`` (``preferred_impl_style="rtl"``)."""
