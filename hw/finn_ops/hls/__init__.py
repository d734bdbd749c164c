"""The project's ``_hls`` ops, one class per file, registered into FINN's ``HLS`` domain on import.

Each class is registered with finn-plus's own ``register_custom_op`` of
``finn.custom_op.fpgadataflow.hls``, as finn-plus registers its ``*_hls``
ops: that dict is where ``SpecializeLayers`` looks for variants and where
qonnx's ``getCustomOp`` finds the domain ``finn.custom_op.fpgadataflow.hls``.
"""

from .snn_input_mvu_hls import SnnInputMVU_hls
from .snn_lif_mvu_hls import SnnLIFMVU_hls
from .snn_output_mvu_hls import SnnOutputMVU_hls
from .snn_spike_pool_hls import SnnSpikePool_hls

__all__ = ["SnnInputMVU_hls", "SnnLIFMVU_hls", "SnnOutputMVU_hls", "SnnSpikePool_hls"]
