"""The project's ``_rtl`` ops, one class per file, registered into FINN's ``RTL`` domain on import.

Each class is registered with finn-plus's own ``register_custom_op`` of
``finn.custom_op.fpgadataflow.rtl``, as finn-plus registers its ``*_rtl``
ops: that dict is where ``SpecializeLayers`` looks for variants and where
qonnx's ``getCustomOp`` finds the domain ``finn.custom_op.fpgadataflow.rtl``.
"""

from .snn_input_mvu_rtl import SnnInputMVU_rtl
from .snn_lif_mvu_rtl import SnnLIFMVU_rtl
from .snn_output_mvu_rtl import SnnOutputMVU_rtl
from .snn_spike_pool_rtl import SnnSpikePool_rtl

__all__ = ["SnnInputMVU_rtl", "SnnLIFMVU_rtl", "SnnOutputMVU_rtl", "SnnSpikePool_rtl"]
