"""ONE table: each layer kind's name at every hardware level, and its reference, files and tests.

The kinds themselves are ``dietsnn.vocab.Kind`` (the network file's strings).
This table maps each kind to its QONNX op (``hw/qonnx_ops``), its FINN op
(``hw/finn_ops``, with ``_rtl`` / ``_hls`` backends in ``hw/finn_ops/rtl`` and
``hw/finn_ops/hls``), its RTL block (``hw/rtl/<block>.sv``) and that block's
``MODE``, and its HLS kernel (``hw/hls/<kernel>.h``). Every level looks the
kind up here; the README's "Layer map" is this table. It lives in ``hw/``
because the numpy base (which the board imports) names no hardware.

>>> LAYERS[Kind.LIF_DENSE].finn_op, LAYERS[Kind.LIF_DENSE].rtl_block, LAYERS[Kind.LIF_DENSE].rtl_mode
('SnnLIFMVU', 'snn_mvu', 1)
>>> by_qonnx_op("SpikeMaxPool").kind, by_finn_op("SnnOutputMVU_hls").hls_kernel
(<Kind.SPIKE_MAXPOOL: 'spike_maxpool'>, 'snn_output_mvu')
"""

from __future__ import annotations

from dataclasses import dataclass

from dietsnn.vocab import Kind, MvuMode

#: the ``MODE`` parameter of ``hw/rtl/snn_mvu.sv`` for each matrix-vector mode (``EMIT_LABEL`` tells 2 apart)
RTL_MODES = {MvuMode.INPUT_LIF: 0, MvuMode.LIF: 1, MvuMode.SCORES: 2, MvuMode.LABEL: 2}


@dataclass(frozen=True)
class LayerNames:
    """One kind's names at every level (one row of the README's layer map)."""

    kind: Kind  #: the network file's kind
    reference: str  #: the numpy reference (``dietsnn.ref``) that defines it
    qonnx_op: str  #: op type in domain ``hw.qonnx_ops`` (``hw/qonnx_ops/<file>.py``)
    finn_op: str  #: FINN op type (``hw/finn_ops``), specialized to ``<op>_rtl`` / ``<op>_hls``
    rtl_block: str  #: module and file ``hw/rtl/<rtl_block>.sv``
    rtl_mode: int | None  #: ``MODE`` of ``snn_mvu`` (None: the block has no modes)
    hls_kernel: str  #: templated function and header ``hw/hls/<hls_kernel>.h``

    @property
    def mvu_mode(self) -> MvuMode | None:
        """The matrix-vector mode (the scores mode for the output layer); None for pooling."""
        return {Kind.INPUT_LIF: MvuMode.INPUT_LIF, Kind.LIF_CONV: MvuMode.LIF, Kind.LIF_DENSE: MvuMode.LIF,
                Kind.OUTPUT_ACCUMULATE: MvuMode.SCORES}.get(self.kind)


LAYERS: dict[Kind, LayerNames] = {n.kind: n for n in (
    LayerNames(Kind.INPUT_LIF, "dietsnn.ref.conv.conv2d_int + dietsnn.ref.lif.lif_sequence", "InputLIF",
               "SnnInputMVU", "snn_mvu", RTL_MODES[MvuMode.INPUT_LIF], "snn_input_mvu"),
    LayerNames(Kind.LIF_CONV, "dietsnn.ref.conv.conv2d_int + dietsnn.ref.lif.lif_sequence", "LIFConv",
               "SnnLIFMVU", "snn_mvu", RTL_MODES[MvuMode.LIF], "snn_lif_mvu"),
    LayerNames(Kind.LIF_DENSE, "dietsnn.ref.conv.dense_int + dietsnn.ref.lif.lif_sequence", "LIFDense",
               "SnnLIFMVU", "snn_mvu", RTL_MODES[MvuMode.LIF], "snn_lif_mvu"),
    LayerNames(Kind.SPIKE_MAXPOOL, "dietsnn.ref.pool.spike_maxpool", "SpikeMaxPool",
               "SnnSpikePool", "snn_spike_pool", None, "snn_spike_pool"),
    LayerNames(Kind.OUTPUT_ACCUMULATE, "dietsnn.ref.conv.dense_int + dietsnn.ref.accumulate.output_accumulate",
               "OutputAccumulate", "SnnOutputMVU", "snn_mvu", RTL_MODES[MvuMode.SCORES], "snn_output_mvu"),
)}

QONNX_OPS: tuple[str, ...] = tuple(n.qonnx_op for n in LAYERS.values())  #: the project's QONNX op types
FINN_OPS: tuple[str, ...] = tuple(dict.fromkeys(n.finn_op for n in LAYERS.values()))  #: its FINN op types
MVU_FINN_OPS: tuple[str, ...] = tuple(dict.fromkeys(n.finn_op for n in LAYERS.values() if n.rtl_mode is not None))


def mvu_finn_op(mode: MvuMode | str) -> str:
    """The FINN op that computes a matrix-vector ``mode``."""
    kind = {MvuMode.INPUT_LIF: Kind.INPUT_LIF, MvuMode.LIF: Kind.LIF_CONV}.get(MvuMode(mode), Kind.OUTPUT_ACCUMULATE)
    return LAYERS[kind].finn_op


def names(kind: Kind | str) -> LayerNames:
    """The row of ``kind`` (a ``Kind`` or the network file's string)."""
    return LAYERS[Kind(kind)]


def by_qonnx_op(op_type: str) -> LayerNames:
    """The row of a QONNX op type, else a KeyError naming the known ones."""
    for n in LAYERS.values():
        if n.qonnx_op == op_type:
            return n
    raise KeyError(f"{op_type!r} is not one of the project's QONNX ops {list(QONNX_OPS)}")


def base_op(op_type: str) -> str:
    """A FINN op type without its backend suffix: ``SnnLIFMVU_rtl`` -> ``SnnLIFMVU``."""
    return op_type.rsplit("_", 1)[0] if op_type.endswith(("_hls", "_rtl")) else op_type


def by_finn_op(op_type: str) -> LayerNames:
    """The (first) row of a FINN op type, with or without ``_rtl`` / ``_hls``, else a KeyError."""
    base = base_op(op_type)
    for n in LAYERS.values():
        if n.finn_op == base:
            return n
    raise KeyError(f"{op_type!r} is not one of the project's FINN ops {list(FINN_OPS)}")


__all__ = ["RTL_MODES", "LayerNames", "LAYERS", "QONNX_OPS", "FINN_OPS", "MVU_FINN_OPS", "names", "by_qonnx_op",
           "base_op", "by_finn_op", "mvu_finn_op", "Kind", "MvuMode"]
