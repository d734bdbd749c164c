"""The project's FINN hardware ops, registered into FINN's own domains on import.

Layout as finn-plus's ``custom_op/fpgadataflow``: the abstraction-layer ops
here (``SnnInputMVU``, ``SnnLIFMVU``, ``SnnOutputMVU``, ``SnnSpikePool``: one
file each), their RTL backends in ``rtl/`` and their HLS backends in ``hls/``
(``class SnnLIFMVU_rtl(SnnLIFMVU, SnnRTLBackend)``, one file each). Every class
is registered with finn-plus's own ``register_custom_op`` into the ``custom_op``
dict of ``finn.custom_op.fpgadataflow``, ``.rtl`` or ``.hls``: FINN's
``SpecializeLayers`` finds the variants there, and qonnx's ``getCustomOp``
finds the classes of those domains there too, so FINN's cycle, resource,
folding and IP passes treat them like FINN's own. Import this package before
loading a model that uses the ops (``hw.compile``, ``hw.execute`` and
``hw.stitch`` do).
"""

from .backends import HardwareCodeUnavailable, SnnHLSBackend, SnnRTLBackend
from .input_mvu import SnnInputMVU
from .lif_mvu import SnnLIFMVU
from .output_mvu import SnnOutputMVU
from .spike_pool import SnnSpikePool
from .hls import SnnInputMVU_hls, SnnLIFMVU_hls, SnnOutputMVU_hls, SnnSpikePool_hls
from .rtl import SnnInputMVU_rtl, SnnLIFMVU_rtl, SnnOutputMVU_rtl, SnnSpikePool_rtl

FINN_DOMAIN = "finn.custom_op.fpgadataflow"  #: the abstraction layer's domain (``.rtl`` / ``.hls`` after specializing)
OPS = (SnnInputMVU, SnnLIFMVU, SnnOutputMVU, SnnSpikePool)
#: each op's ``(<op>_hls, <op>_rtl)`` classes
VARIANTS = {op.__name__: (hls, rtl) for op, hls, rtl in (
    (SnnInputMVU, SnnInputMVU_hls, SnnInputMVU_rtl), (SnnLIFMVU, SnnLIFMVU_hls, SnnLIFMVU_rtl),
    (SnnOutputMVU, SnnOutputMVU_hls, SnnOutputMVU_rtl), (SnnSpikePool, SnnSpikePool_hls, SnnSpikePool_rtl))}

__all__ = ["SnnInputMVU", "SnnLIFMVU", "SnnOutputMVU", "SnnSpikePool", "SnnInputMVU_rtl", "SnnLIFMVU_rtl",
           "SnnOutputMVU_rtl", "SnnSpikePool_rtl", "SnnInputMVU_hls", "SnnLIFMVU_hls", "SnnOutputMVU_hls",
           "SnnSpikePool_hls", "SnnRTLBackend", "SnnHLSBackend", "HardwareCodeUnavailable", "VARIANTS", "OPS",
           "FINN_DOMAIN"]
