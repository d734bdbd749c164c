"""Make the dietsnn_toy HW ops visible to FINN exactly like FINN's own ops.

FINN's SpecializeLayers only handles nodes whose domain == "finn.custom_op.fpgadataflow" and
looks the variants up in the dicts finn.custom_op.fpgadataflow.{hls,rtl}.custom_op;
AnnotateCycles / res_estimation / exp_cycles_per_layer / dataflow_performance / SetFolding /
PrepareIP / SetExecMode only see nodes whose domain == "finn.custom_op.fpgadataflow.hls" or
"...rtl" (finn.util.fpgadataflow.is_hls_node / is_rtl_node).  So we register our classes into
those domains (qonnx registry) and dicts (for SpecializeLayers).  Call once per process
(idempotent), before loading/handling any model that uses these ops.
"""
from qonnx.custom_op.registry import add_op_to_domain

FINN_DOMAIN = "finn.custom_op.fpgadataflow"


def register_into_finn():
    import finn.custom_op.fpgadataflow as fdf
    import finn.custom_op.fpgadataflow.hls as fhls
    import finn.custom_op.fpgadataflow.rtl as frtl
    from dietsnn_toy.hw.ops import SpikeMaxPool
    from dietsnn_toy.hw.ops.hls import SpikeMaxPool_hls
    from dietsnn_toy.hw.ops.rtl import SpikeMaxPool_rtl

    for dom, dct, cls in (
        (FINN_DOMAIN, fdf.custom_op, SpikeMaxPool),
        (FINN_DOMAIN + ".hls", fhls.custom_op, SpikeMaxPool_hls),
        (FINN_DOMAIN + ".rtl", frtl.custom_op, SpikeMaxPool_rtl),
    ):
        add_op_to_domain(dom, cls)       # getCustomOp / is_custom_op / execute_onnx
        dct[cls.__name__] = cls          # SpecializeLayers' variant lookup
