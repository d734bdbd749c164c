"""The ANN twin through FINN's own flow to resource/performance estimates, without any vendor tool.

This replicates FINN's estimate-only build (``estimate_only_dataflow_steps`` of
``finn.builder.build_dataflow_config``) by importing the transformations that the
build steps use, since ``finn.builder.build_dataflow_steps`` itself cannot be imported
without the Vivado simulator:

==============================  ============================================================
FINN build step                 here
==============================  ============================================================
(export, FINN's ``ToTensor``)   :func:`export_ann` (QONNX export, input annotated UINT8)
step_qonnx_to_finn              :func:`qonnx_to_finn`
step_tidy_up                    :func:`tidy_up`
step_streamline                 :func:`streamline`
step_convert_to_hw              :func:`convert_to_hw`
step_minimize_bit_width_initial :func:`minimize_bit_width`
step_create_dataflow_partition  :func:`create_dataflow_partition`
step_specialize_layers          :func:`specialize_layers`
step_target_fps_parallelization :func:`target_fps_parallelization`
step_apply_folding_config       :func:`apply_folding_config`
step_minimize_bit_width         :func:`minimize_bit_width`
step_generate_estimate_reports  :func:`estimate_reports`
==============================  ============================================================

The options are the ``DataflowBuildConfig`` defaults (``standalone_thresholds=False``,
``mvau_wwidth_max=36``, ``folding_two_pass_relaxation=True``, ``minimize_bit_width=True``,
``max_multithreshold_bit_width=8``, ``requant_bitwidth_threshold=9``).

The ANN's forward multiplies the uint8 image by 1/255; the export keeps that ``Mul`` and
annotates the graph input as UINT8, which is what FINN's end-to-end examples do with their
``ToTensor`` pre-processing model. Streamlining moves the scalar ``Mul`` into the first
layer's thresholds. The float tail of the output layer (per-tensor weight scale ``Mul`` and
bias ``Add``) is not integer: :func:`keep_float_tail_in_software` keeps it off-chip (FINN's
``reject_output_dequant`` filter does the same for a lone final ``Mul``), so the partition
ends with the output MVAU's integer scores, and the NCHW->NHWC ``Transpose`` of the input
stays in software as in FINN's CNV example.

Numerical check: specialized ``_hls`` nodes cannot run here (cppsim needs finn-hlslib,
which the wheel lacks), so the check executes the streamlined model and the dataflow
parent model with the abstraction-layer HW nodes (before specialization) in Python.
"""

from __future__ import annotations

import json
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import torch
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.bipolar_to_xnor import ConvertBipolarMatMulToXnorPopcount
from qonnx.transformation.fold_constants import FoldConstants
from qonnx.transformation.general import GiveReadableTensorNames, RemoveStaticGraphInputs, RemoveUnusedTensors
from qonnx.transformation.infer_data_layouts import InferDataLayouts
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.transformation.lower_convs_to_matmul import LowerConvsToMatMul
from qonnx.util.cleanup import cleanup_model

import finn.transformation.streamline.absorb as absorb
from finn.analysis.fpgadataflow.dataflow_performance import dataflow_performance
from finn.analysis.fpgadataflow.exp_cycles_per_layer import exp_cycles_per_layer
from finn.analysis.fpgadataflow.op_and_param_counts import aggregate_dict_keys, op_and_param_counts
from finn.analysis.fpgadataflow.res_estimation import res_estimation
from finn.analysis.fpgadataflow.unsupported_layers import unsupported_layers
from finn.core.onnx_exec import execute_onnx
from finn.transformation.fpgadataflow.annotate_cycles import AnnotateCycles
from finn.transformation.fpgadataflow.convert_to_hw import (
    binary_matrix_vector_activation as bmvau, concat, conv_inp_gen, crop, elementwise_binary_operation as ew,
    fm_padding, global_acc_pool, hw_softmax, label_select, layer_norm, lookup, pad1d, pool, pool_from_reduce,
    pwpolyf, quantized_matrix_vector_activation as qmvau, relu_as_elementwise_max as relu, requant, select_token,
    split, thresholding, upsample, vector_vector_activation as vvau, where)
from finn.transformation.fpgadataflow.convert_to_hw.duplicate_streams import InferDuplicateStreamsLayer
from finn.transformation.fpgadataflow.convert_to_hw.reshape import InferReshape
from finn.transformation.fpgadataflow.convert_to_hw.shuffle import InferShuffle
from finn.transformation.fpgadataflow.create_dataflow_partition import CreateDataflowPartition
from finn.transformation.fpgadataflow.minimize_accumulator_width import MinimizeAccumulatorWidth
from finn.transformation.fpgadataflow.minimize_weight_bit_width import MinimizeWeightBitWidth
from finn.transformation.fpgadataflow.set_folding import SetFolding
from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers
from finn.transformation.general import ApplyConfig
from finn.transformation.move_reshape import RemoveCNVtoFCFlatten
from finn.transformation.qonnx.convert_qonnx_to_finn import ConvertQONNXtoFINN
from finn.transformation.qonnx.give_unique_node_names_recursive import GiveUniqueNodeNamesRecursive
from finn.transformation.qonnx.quant_act_to_multithreshold import default_filter_function_generator
from finn.transformation.streamline import Streamline
from finn.transformation.streamline.reorder import MakeMaxPoolNHWC
from finn.transformation.streamline.round_thresholds import RoundAndClipThresholds
from finn.util.basic import part_map
from finn.util.config import extract_model_config_to_json

HW_DOMAIN = "finn.custom_op.fpgadataflow"
#: the attributes FINN's folding steps write to ``auto_folding_config.json``
FOLDING_ATTRS = ["PE", "SIMD", "EmbFold", "SeqFold", "parallel_window", "ram_style", "ram_style_thresholds",
                 "ram_style_mask", "depth", "impl_style", "resType", "mac_resource", "mem_mode",
                 "runtime_writeable_weights", "depth_trigger_uram", "depth_trigger_bram"]
RESOURCES = ("LUT", "BRAM_18K", "URAM", "DSP")


class FinnFlowError(RuntimeError):
    """A FINN flow stage left the graph in a state the next stage cannot handle."""


# ---------------------------------------------------------------- export
class _FloatImageInput(torch.nn.Module):
    """Exports the ANN with a float input holding the integer pixels 0..255 (annotated UINT8)."""

    def __init__(self, ann: torch.nn.Module):
        super().__init__()
        self.ann = ann

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ann(x)  # the ANN's own ``x * INPUT_SCALE`` becomes a scalar Mul in the graph


def export_ann(ann: torch.nn.Module, input_shape, path: str | Path) -> ModelWrapper:
    """QONNX export of ``ann`` in eval mode (no Dropout), input annotated UINT8."""
    from brevitas.export import export_qonnx

    was_training = ann.training
    ann.eval()
    try:
        with torch.no_grad():
            export_qonnx(_FloatImageInput(ann).eval(), input_t=torch.zeros(1, *input_shape),
                         export_path=str(path))
    finally:
        ann.train(was_training)
    model = ModelWrapper(str(path))
    left = [n.name or n.op_type for n in model.graph.node if n.op_type == "Dropout"]
    if left:
        raise FinnFlowError(f"the export still contains Dropout node(s) {left}")
    model.set_tensor_datatype(model.graph.input[0].name, DataType["UINT8"])
    return model


# ---------------------------------------------------------------- FINN's steps
def qonnx_to_finn(model: ModelWrapper, max_multithreshold_bit_width: int = 8) -> ModelWrapper:
    """step_qonnx_to_finn: QONNX cleanup, then Quant nodes to MultiThreshold / integer weights."""
    model = cleanup_model(model)
    filt = default_filter_function_generator(max_multithreshold_bit_width=max_multithreshold_bit_width)
    return model.transform(ConvertQONNXtoFINN(filter_function=filt))


def tidy_up(model: ModelWrapper) -> ModelWrapper:
    """step_tidy_up: shapes, constant folding, names, datatypes."""
    for t in (InferShapes(), FoldConstants(), GiveUniqueNodeNamesRecursive(), GiveReadableTensorNames(),
              InferDataTypes(), RemoveStaticGraphInputs()):
        model = model.transform(t)
    return model


def streamline(model: ModelWrapper) -> ModelWrapper:
    """step_streamline: move scales/biases into thresholds, lower convolutions to Im2Col + MatMul."""
    model = model.transform(absorb.AbsorbScalarBiasIntoMultiThreshold())
    model = model.transform(Streamline())
    if model.get_nodes_by_op_type("Conv"):
        for t in (LowerConvsToMatMul(), MakeMaxPoolNHWC(), absorb.AbsorbTransposeIntoMultiThreshold(),
                  MakeMaxPoolNHWC(), absorb.AbsorbConsecutiveTransposes()):
            model = model.transform(t)
    for t in (ConvertBipolarMatMulToXnorPopcount(), Streamline(), absorb.AbsorbScalarMulAddIntoTopK(),
              InferDataLayouts(), RemoveUnusedTensors()):
        model = model.transform(t)
    return model


def _is_float_tail(model: ModelWrapper, node) -> bool:
    """Whether ``node`` and everything after it output FLOAT32 (the output de-quantization tail)."""
    if model.get_tensor_datatype(node.output[0]) != DataType["FLOAT32"]:
        return False
    return all(_is_float_tail(model, s) for s in model.find_direct_successors(node) or [])


def keep_float_tail_in_software(model: ModelWrapper, node) -> bool:
    """Filter for FINN's InferElementwiseBinaryOperation: the float output de-quantization tail
    (weight scale Mul and bias Add of the output layer) stays off-chip. FINN's own
    ``reject_output_dequant`` does this for a single final Mul; the ANN's tail is a Mul then an Add."""
    return not _is_float_tail(model, node)


def _convert_to_hw_sequence(requant_bitwidth_threshold: int = 9):
    """``(op types that make it relevant, transformation)`` in step_convert_to_hw's order
    (``standalone_thresholds=False``)."""
    elementwise = ["Mul", "Div", "Sub", "Add", "And", "Or", "Xor", "Equal", "Less", "LessOrEqual", "Greater",
                   "GreaterOrEqual"]
    return [
        (["XnorPopcountMatMul"], bmvau.InferBinaryMatrixVectorActivation()),
        (["MatMul"], qmvau.InferQuantizedMatrixVectorActivation()),
        (["MatMul"], vvau.InferVectorVectorActivation()),
        (["TopK"], label_select.InferLabelSelectLayer()),
        (["MultiThreshold", "Quant"], requant.InferRequantLayer(bitwidth_threshold=requant_bitwidth_threshold)),
        (["MultiThreshold"], thresholding.InferThresholdingLayer()),
        (["Pad"], fm_padding.InferFMPadding()),
        (["MaxPool", "AveragePool", "MaxPoolNHWC", "QuantAvgPool2d"], pool.InferPool()),
        (["ReduceMax", "ReduceSum", "ReduceMean"], pool_from_reduce.InferPoolFromReduce()),
        (["Im2Col"], conv_inp_gen.InferConvInpGen()),
        (["ConvolutionInputGenerator"], RemoveCNVtoFCFlatten()),
        (["Concat"], pad1d.InferPad1DLayer()),
        (["Concat"], concat.InferConcatLayer()),
        (["Split"], split.InferSplitLayer()),
        (elementwise, ew.InferElementwiseBinaryOperation(_filter=keep_float_tail_in_software)),
        (["Where"], where.InferWhereLayer()),
        (["Relu"], relu.InferReLUAsElementwiseMax()),
        (["Upsample"], upsample.InferUpsample()),
        (["GlobalAveragePool"], global_acc_pool.InferGlobalAccPoolLayer()),
        (["Gather"], select_token.InferSelectTokenLayer()),
        (["Gather"], crop.InferCrop()),
        (["Gather"], lookup.InferLookupLayer()),
        (["Softmax"], hw_softmax.InferHWSoftmax()),
        (["PWPolyF", "Gelu", "Sigmoid", "Tanh", "Erf"], pwpolyf.InferPWPolyFLayer()),
        (["LayerNormalization"], layer_norm.InferLayerNorm()),
        (["Crop"], crop.InferCrop()),
    ]


def convert_to_hw(model: ModelWrapper) -> ModelWrapper:
    """step_convert_to_hw: replace eligible nodes by FINN's abstraction-layer HW nodes."""
    for op_types, transform in _convert_to_hw_sequence():
        if any(model.get_nodes_by_op_type(t) for t in op_types):
            model = model.transform(transform)
    model = model.transform(InferDuplicateStreamsLayer())
    for t in (absorb.AbsorbConsecutiveTransposes(), RemoveCNVtoFCFlatten(), GiveUniqueNodeNamesRecursive(),
              InferDataLayouts(), InferDataTypes(), InferShapes(), InferReshape()):
        model = model.transform(t)
    if model.get_nodes_by_op_type("Transpose"):
        model = model.transform(InferShuffle())  # infer_shuffle_skip_first=True: the default filter
    return model


def minimize_bit_width(model: ModelWrapper) -> ModelWrapper:
    """step_minimize_bit_width(_initial): tighten weight/accumulator widths, round and clip thresholds."""
    for t in (MinimizeWeightBitWidth(), MinimizeAccumulatorWidth(), InferDataTypes(), RoundAndClipThresholds(),
              InferDataTypes(), MinimizeWeightBitWidth(), InferDataTypes()):
        model = model.transform(t, apply_to_subgraphs=True)
    return model


def non_hw_nodes(model: ModelWrapper) -> list[str]:
    """``name (op_type)`` of each node that is not a FINN HW node."""
    return [f"{n.name} ({n.op_type})" for n in model.graph.node if not n.domain.startswith(HW_DOMAIN)]


#: non-HW nodes that may stay outside the dataflow partition besides float de-quantization
LAYOUT_OPS = ("Transpose", "Reshape", "Flatten")


def check_outside_nodes(model: ModelWrapper) -> None:
    """Raise :class:`FinnFlowError` naming each non-HW node that is neither a layout op nor
    float (output de-quantization): such a node is a layer FINN failed to convert."""
    bad = [f"{n.name} ({n.op_type})" for n in model.graph.node
           if not n.domain.startswith(HW_DOMAIN) and n.op_type not in LAYOUT_OPS
           and model.get_tensor_datatype(n.output[0]) != DataType["FLOAT32"]]
    if bad:
        raise FinnFlowError(f"convert_to_hw left integer node(s) that are not FINN HW nodes: {', '.join(bad)}")


def create_dataflow_partition(model: ModelWrapper, work_dir: str | Path) -> tuple[ModelWrapper, ModelWrapper]:
    """step_create_dataflow_partition: ``(parent model, dataflow model)``.

    Raises :class:`FinnFlowError` naming the node when a non-HW node sits between HW nodes
    or an integer node was left unconverted at the start or end of the graph.
    """
    ok, first = model.analysis(unsupported_layers)
    if ok is False:
        raise FinnFlowError(f"convert_to_hw left the non-HW node {first.name} ({first.op_type}) between FINN HW "
                            f"nodes; all non-HW nodes: {', '.join(non_hw_nodes(model))}")
    check_outside_nodes(model)
    parent = model.transform(CreateDataflowPartition(
        partition_model_dir=str(Path(work_dir) / "supported_op_partitions")))
    sdp = parent.get_nodes_by_op_type("StreamingDataflowPartition")
    if len(sdp) != 1:
        raise FinnFlowError(f"expected one StreamingDataflowPartition, got {len(sdp)}")
    dataflow = ModelWrapper(getCustomOp(sdp[0]).get_nodeattr("model"))
    left = non_hw_nodes(dataflow)
    if left:
        raise FinnFlowError(f"the dataflow partition holds non-HW node(s): {', '.join(left)}")
    return parent, dataflow


def specialize_layers(model: ModelWrapper, fpgapart: str) -> ModelWrapper:
    """step_specialize_layers: each HW node to its ``_hls`` or ``_rtl`` variant (FINN's default choice)."""
    for t in (SpecializeLayers(fpgapart), GiveUniqueNodeNamesRecursive(), InferShapes(), InferDataTypes()):
        model = model.transform(t)
    left = [f"{n.name} ({n.op_type})" for n in model.graph.node
            if n.domain not in (HW_DOMAIN + ".hls", HW_DOMAIN + ".rtl")]
    if left:
        raise FinnFlowError(f"SpecializeLayers left node(s) without an HLS/RTL variant: {', '.join(left)}")
    return model


def target_fps_parallelization(model: ModelWrapper, cycles_per_frame: int,
                               mvau_wwidth_max: int = 36) -> tuple[ModelWrapper, dict]:
    """step_target_fps_parallelization: FINN's SetFolding with its two-pass relaxation.

    The two passes are run here one after the other, exactly as ``SetFolding(two_pass_relaxation=True)``
    does internally, so that the first pass (each layer as fast as SetFolding may make it for the
    target) can be reported: its layers above the target are the ones that cannot reach it.
    Returns the model and ``{"first_pass_cycles", "limiting_layers", "relaxed_to"}``.
    """
    model = model.transform(SetFolding(cycles_per_frame, mvau_wwidth_max=mvau_wwidth_max,
                                       two_pass_relaxation=False))
    first = {k: int(v) for k, v in model.analysis(exp_cycles_per_layer).items()}
    limiting = {name: {"cycles": c, **_limit_reason(model, name, mvau_wwidth_max)}
                for name, c in first.items() if c > cycles_per_frame}
    max_cycles = int(model.analysis(dataflow_performance)["max_cycles"])
    relaxed_to = None
    if max_cycles > cycles_per_frame:  # FINN's second pass: balance the pipeline to the bottleneck
        relaxed_to = max_cycles
        model = model.transform(SetFolding(max_cycles, mvau_wwidth_max=mvau_wwidth_max,
                                           two_pass_relaxation=False))
    model = model.transform(GiveUniqueNodeNamesRecursive())
    return model, {"first_pass_cycles": first, "limiting_layers": limiting, "relaxed_to": relaxed_to}


def _limit_reason(model: ModelWrapper, name: str, mvau_wwidth_max: int) -> dict:
    """Folding of a node that misses the target, and why SetFolding stopped there."""
    inst = getCustomOp(model.get_node_from_name(name))
    attrs = inst.get_nodeattr_types()
    info = {a: inst.get_nodeattr(a) for a in ("PE", "SIMD", "parallel_window") if a in attrs}
    if name.startswith("MVAU"):
        mw, mh = inst.get_nodeattr("MW"), inst.get_nodeattr("MH")
        wbits = inst.get_input_datatype(1).bitwidth()
        info.update(MW=mw, MH=mh, weight_bits=wbits)
        if info["SIMD"] < mw and info["PE"] == mh:
            info["reason"] = (f"SIMD capped at {info['SIMD']} of MW={mw}: weight_bits*SIMD may not exceed "
                              f"mvau_wwidth_max={mvau_wwidth_max}")
        elif info["SIMD"] == mw and info["PE"] == mh:
            info["reason"] = "fully parallel (PE=MH, SIMD=MW)"
    return info


def apply_folding_config(model: ModelWrapper, config: dict | str | Path | None) -> ModelWrapper:
    """step_apply_folding_config: FINN's ApplyConfig with a folding JSON (path or dict), if given."""
    model = model.transform(GiveUniqueNodeNamesRecursive())
    if config is not None:
        model = model.transform(ApplyConfig(config if isinstance(config, dict) else str(config)),
                                apply_to_subgraphs=True)
    return model


def folding_of(model: ModelWrapper) -> dict[str, dict]:
    """PE/SIMD (and parallel_window where present) of each node."""
    out = {}
    for n in model.graph.node:
        inst = getCustomOp(n)
        attrs = inst.get_nodeattr_types()
        out[n.name] = {a: inst.get_nodeattr(a) for a in ("PE", "SIMD", "parallel_window") if a in attrs}
    return out


def estimate_reports(model: ModelWrapper, fpgapart: str, clock_mhz: float) -> tuple[ModelWrapper, dict]:
    """step_generate_estimate_reports: FINN's analytical per-layer cycles/resources and network performance."""
    layer_cycles = model.analysis(exp_cycles_per_layer)
    layer_res = model.analysis(partial(res_estimation, fpgapart=fpgapart))
    total = aggregate_dict_keys(layer_res)
    model = model.transform(AnnotateCycles())
    perf = dict(model.analysis(dataflow_performance))
    perf["estimated_throughput_fps"] = clock_mhz * 1e6 / perf["max_cycles"]
    perf["estimated_latency_ns"] = perf["critical_path_cycles"] * 1e3 / clock_mhz
    return model, {
        "op_and_param_counts": model.analysis(op_and_param_counts),
        "layer_cycles": {k: int(v) for k, v in layer_cycles.items()},
        "layer_resources": layer_res,
        "total_resources": {k: total.get(k, 0) for k in RESOURCES},
        "performance": perf,
    }


# ---------------------------------------------------------------- numerical check
def run_finn_model(model: ModelWrapper, images: np.ndarray) -> np.ndarray:
    """Outputs of a batch-1 FINN/QONNX model for each uint8 image ``(N, C, H, W)``, stacked."""
    iname, oname = model.graph.input[0].name, model.graph.output[0].name
    outs = []
    for img in images:
        x = img[None].astype(np.float32)
        outs.append(execute_onnx(model, {iname: x})[oname].reshape(-1))
    return np.stack(outs)


def check_agreement(ann: torch.nn.Module, models: dict[str, ModelWrapper], images: np.ndarray) -> dict:
    """Per model: how many predictions equal the PyTorch ANN's (eval mode), and the largest logit gap."""
    was_training = ann.training
    ann.eval()
    try:
        with torch.no_grad():
            ref = ann(torch.as_tensor(images)).numpy()
    finally:
        ann.train(was_training)
    pred = ref.argmax(1)
    out = {"n_images": int(len(images)), "torch_predictions": pred.tolist()}
    for name, m in models.items():
        y = run_finn_model(m, images)
        out[name] = {"agree": int((y.argmax(1) == pred).sum()),
                     "max_abs_logit_diff": float(np.abs(y - ref).max()) if y.shape == ref.shape else None}
    return out


def default_images(n: int) -> np.ndarray:
    """The first ``n`` Fashion-MNIST test images (uint8 ``(n, 1, 28, 28)``)."""
    from quant_train.config import load_config
    from quant_train.data import load_split

    return load_split(load_config("fmnist"), "test").limit(n).images.numpy()


# ---------------------------------------------------------------- the whole flow
def ann_estimate(ann: torch.nn.Module, input_shape, fps: float, clock_mhz: float = 200.0, board: str = "ZCU104",
                 work_dir: str | Path | None = None, images: np.ndarray | None = None, n_images: int = 8,
                 folding_config: dict | str | Path | None = None, mvau_wwidth_max: int = 36) -> dict:
    """FINN's estimate-only flow for the ANN twin at a target frame rate.

    ``images`` (uint8 ``(N, C, H, W)``) are used for the numerical check; by default the first
    ``n_images`` Fashion-MNIST test images. Writes the intermediate models and the JSON reports
    to ``work_dir`` (a temporary folder if None). Returns a dict with per-layer and total
    resources (LUT/BRAM_18K/URAM/DSP), per-layer expected cycles, max cycles, estimated fps,
    the folding (PE/SIMD) per node, the op types in the dataflow partition and the agreement.
    """
    if work_dir is None:
        work_dir = tempfile.mkdtemp(prefix="finn_ann_")
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    try:
        fpgapart = part_map[board]
    except KeyError:
        raise ValueError(f"unknown board {board!r}; FINN knows {sorted(part_map)}") from None
    cycles_per_frame = int(clock_mhz * 1e6 / fps)

    model = export_ann(ann, input_shape, work / "ann_qonnx.onnx")
    model = tidy_up(qonnx_to_finn(model))
    streamlined = streamline(model)
    streamlined.save(str(work / "streamlined.onnx"))
    hw = minimize_bit_width(convert_to_hw(streamlined))
    parent, dataflow = create_dataflow_partition(hw, work)
    parent.save(str(work / "dataflow_parent.onnx"))
    hw_op_types = [n.op_type for n in dataflow.graph.node]

    model = specialize_layers(dataflow, fpgapart)
    model, folding_info = target_fps_parallelization(model, cycles_per_frame, mvau_wwidth_max)
    extract_model_config_to_json(model, str(work / "auto_folding_config.json"), FOLDING_ATTRS)
    model = minimize_bit_width(apply_folding_config(model, folding_config))
    model, rep = estimate_reports(model, fpgapart, clock_mhz)
    model.save(str(work / "estimated.onnx"))

    if images is None:
        images = default_images(n_images)
    agreement = check_agreement(ann, {"streamlined": streamlined, "hw_parent": parent}, np.asarray(images))
    perf = rep["performance"]
    result = {
        "board": board, "fpgapart": fpgapart, "clock_mhz": clock_mhz, "target_fps": fps,
        "target_cycles_per_frame": cycles_per_frame,
        "hw_op_types": hw_op_types,
        "specialized_op_types": [n.op_type for n in model.graph.node],
        "outside_partition": non_hw_nodes(parent),
        "layer_resources": rep["layer_resources"], "total_resources": rep["total_resources"],
        "layer_cycles": rep["layer_cycles"], "max_cycles": int(perf["max_cycles"]),
        "max_cycles_node": perf["max_cycles_node_name"],
        "critical_path_cycles": int(perf["critical_path_cycles"]),
        "estimated_fps": float(perf["estimated_throughput_fps"]),
        "target_met": float(perf["estimated_throughput_fps"]) >= fps,
        "limiting_layers": folding_info["limiting_layers"],
        "first_pass_cycles": folding_info["first_pass_cycles"],
        "relaxed_to_cycles": folding_info["relaxed_to"],
        "mvau_wwidth_max": mvau_wwidth_max,
        "folding": folding_of(model),
        "op_and_param_counts": rep["op_and_param_counts"],
        "agreement": agreement,
        "work_dir": str(work),
    }
    with open(work / "finn_ann_estimate.json", "w") as f:
        json.dump(result, f, indent=2, default=str)
    return result
