"""Where the generic matrix units keep their weights: block RAM (``$readmemh``, in the bitstream) or UltraRAM.

UltraRAM has no bitstream initialisation, so a unit whose weights are in
URAM (``ram_style = "ultra"``, ``snn_mvu``'s ``WEIGHT_LOAD 1``) is written at
run time by the weight loader (``hw/rtl/snn_wload.sv``; the driver sends
``weights.bin`` after every reset, see ``hw.weight_load``).

``--weights-in`` (``WEIGHTS_IN``):

- ``bram``: every unit as before (block RAM, LUTRAM when shallow);
- ``uram``: every generic unit whose weights would be in block RAM (shallow ones stay LUTRAM);
- ``auto`` (default): while the build's block-RAM estimate (FIFOs included)
  is above the board's budget, FINN's recommended share of the part
  (``hw.vivado.fit.RECOMMENDED``: 80%), the unit with the most weight block
  RAM moves to URAM, as long as the URAM stays within its own budget.

Only RTL units have the loader: an HLS build keeps block RAM (``uram`` is
refused for it). A URAM288 holds 4096 words of 72 bits; a memory of ``depth``
words of ``width`` bits takes ``ceil(width / 72) * ceil(depth / 4096)`` of them
(FINN's ``MVAU.uram_estimation``).
"""

from __future__ import annotations

import logging
import math

from qonnx.custom_op.registry import getCustomOp

from .boards import Board
from .finn_ops.mvu_base import uram288
from .finn_ops.variants import Variant
from .vocab import MVU_FINN_OPS, base_op

log = logging.getLogger(__name__)

WEIGHTS_IN = ("auto", "bram", "uram")  #: the ``--weights-in`` choices
ULTRA = "ultra"  #: the node's ``ram_style`` for weights in URAM


def _units(model) -> list:
    """The generic RTL matrix units whose weights would sit in block RAM, in graph order (shallow LUTRAM
    weights stay: a URAM288 is 4096 words deep)."""
    out = []
    for node in model.graph.node:
        if base_op(node.op_type) not in MVU_FINN_OPS or not node.op_type.endswith("_rtl"):
            continue
        inst = getCustomOp(node)
        if inst.get_nodeattr("variant") != Variant.GENERIC.value:
            continue
        if inst.get_nodeattr("ram_style") == ULTRA or inst.bram_estimation() > 0:
            out.append(inst)
    return out


def _total(model, what: str, part: str) -> int:
    est = {"BRAM_18K": "bram_estimation", "URAM": "uram_estimation"}[what]
    return sum(int(getattr(getCustomOp(n), est)(part)) for n in model.graph.node)


def budget(board: Board, resource: str) -> int:
    """FINN's recommended share of ``board``'s ``resource`` (``hw.vivado.fit.RECOMMENDED``)."""
    from .vivado.fit import RECOMMENDED

    return int(RECOMMENDED[resource] * (board.capacity or {}).get(resource, 0))


def place_weights(model, board: Board, weights_in: str, impl: str) -> dict:
    """Set ``ram_style`` of the matrix units for ``weights_in``; returns what was decided and why (report.json
    ``weight_memory``)."""
    if weights_in not in WEIGHTS_IN:
        raise ValueError(f"weights_in must be one of {', '.join(WEIGHTS_IN)}, not {weights_in!r}")
    if weights_in == "uram" and impl != "rtl":
        raise ValueError("--weights-in uram needs --impl rtl: only the RTL matrix unit has the URAM weight loader "
                         "(the HLS kernels embed their weights)")
    units = _units(model) if impl == "rtl" else []
    for inst in units:
        inst.set_nodeattr("ram_style", "auto")
    moved, why = [], "--weights-in bram"
    if weights_in == "uram":
        moved, why = units, "--weights-in uram"
    elif weights_in == "auto":
        bram, cap = _total(model, "BRAM_18K", board.part), budget(board, "BRAM_18K")
        uram, ucap = _total(model, "URAM", board.part), budget(board, "URAM")
        why = f"block RAM estimate {bram} within the budget of {cap} BRAM18 (80% of {board.part})"
        for inst in sorted(units, key=lambda i: -i.bram_estimation()):
            if bram <= cap:
                break
            need = uram288(*inst.weight_memory())
            if uram + need > ucap:
                log.warning("weights: %s would need %d URAM beyond the budget of %d; kept in block RAM",
                            inst.onnx_node.name, need, ucap)
                continue
            bram -= inst.bram_estimation()
            uram += need
            moved.append(inst)
            inst.set_nodeattr("ram_style", ULTRA)
        if moved:
            why = (f"block RAM estimate above the budget of {cap} BRAM18 (80% of {board.part}): the largest weight "
                   f"memories moved to URAM until {bram} BRAM18 remain")
    for inst in moved:
        inst.set_nodeattr("ram_style", ULTRA)
    names = [i.onnx_node.name for i in moved]
    if names:
        log.info("weights in URAM (%s): %s", why, ", ".join(names))
    return {"weights_in": weights_in, "uram_layers": names, "reason": why,
            "load_bits": sum(math.prod(i.weight_memory()) for i in moved)}


__all__ = ["WEIGHTS_IN", "ULTRA", "uram288", "budget", "place_weights"]
