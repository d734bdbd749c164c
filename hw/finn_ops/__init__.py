"""The project's FINN hardware ops, registered into FINN's own domains on import.

FINN's ``SpecializeLayers`` only looks at domain ``finn.custom_op.fpgadataflow``
and finds variants in the dicts of ``...fpgadataflow.hls`` / ``.rtl``; its
cycle, resource, folding and IP passes only see nodes of those two domains.
Registering here (the one small, commented work-around) makes our ops
first-class for all of them. Import this module before loading a model that
uses the ops (``hw.dataflow.load_dataflow`` does).
"""

from qonnx.custom_op.registry import add_op_to_domain

import finn.custom_op.fpgadataflow as _fdf
import finn.custom_op.fpgadataflow.hls as _fhls
import finn.custom_op.fpgadataflow.rtl as _frtl

from .input_mvu import SnnInputMVU
from .lif_mvu import SnnLIFMVU
from .output_mvu import SnnOutputMVU
from .spike_pool import SnnSpikePool
from .rtl_codegen import mvu_generate_hdl, pool_generate_hdl
from .variants import HardwareCodeUnavailable, make_variants

FINN_DOMAIN = "finn.custom_op.fpgadataflow"
OPS = (SnnInputMVU, SnnLIFMVU, SnnOutputMVU, SnnSpikePool)
VARIANTS = {}

for _op in OPS:
    _hls, _rtl = make_variants(_op, pool_generate_hdl if _op is SnnSpikePool else mvu_generate_hdl)
    VARIANTS[_op.__name__] = (_hls, _rtl)
    for _domain, _table, _cls in ((FINN_DOMAIN, _fdf.custom_op, _op), (FINN_DOMAIN + ".hls", _fhls.custom_op, _hls),
                                  (FINN_DOMAIN + ".rtl", _frtl.custom_op, _rtl)):
        add_op_to_domain(_domain, _cls)  # getCustomOp / execute_onnx
        _table[_cls.__name__] = _cls  # SpecializeLayers' variant lookup

__all__ = ["SnnInputMVU", "SnnLIFMVU", "SnnOutputMVU", "SnnSpikePool", "HardwareCodeUnavailable", "VARIANTS",
           "FINN_DOMAIN"]
