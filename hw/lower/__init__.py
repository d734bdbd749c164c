"""Lowering passes, one per file, each a qonnx ``Transformation`` returning ``(model, changed)``.

``lower_to_dataflow(model)`` runs them in order: channels-last, convolutions,
pooling, dense layers. The result holds only FINN hardware nodes: FINN's
``FMPadding`` and ``ConvolutionInputGenerator`` and the project's ops from
``hw.finn_ops``.
"""

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.general import GiveUniqueNodeNames, RemoveUnusedTensors
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from .channels_last import ToChannelsLast
from .check import CheckSupported
from .conv import LowerSpikingConv
from .dense import LowerSpikingDense
from .pool import LowerSpikePool


def lower_to_dataflow(model: ModelWrapper) -> ModelWrapper:
    """QONNX model of the project's ops -> FINN dataflow graph (NHWC, unfolded)."""
    for step in (CheckSupported(), ToChannelsLast(), LowerSpikingConv(), LowerSpikePool(), LowerSpikingDense()):
        model = model.transform(step)
    model = model.transform(RemoveUnusedTensors())
    model = model.transform(GiveUniqueNodeNames())
    model = model.transform(InferShapes())
    return model.transform(InferDataTypes())


__all__ = ["CheckSupported", "ToChannelsLast", "LowerSpikingConv", "LowerSpikePool", "LowerSpikingDense",
           "lower_to_dataflow"]
