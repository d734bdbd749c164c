"""A folding of the FINN ANN twin that reaches a target FINN's own ``SetFolding`` does not reach.

FINN's ``SetFolding`` stops short of 100,000 frames/s on the fmnist twin at any
``mvau_wwidth_max`` (measured: 56.7k at 64 or 128, 63.8k unlimited: it raises
SIMD before PE and relaxes the whole pipeline to its slowest node). For a
comparison at equal frame rates, ``fold_to_target`` starts from the graph FINN
folded (``BUILD/estimated.onnx`` of ``bench.finn_ann.ann_estimate``) and, for
each node above the target, takes the folding with the fewest parallel lanes
that meets it, using FINN's own cycle models (``get_exp_cycles``):

- an MVAU: SIMD (a divisor of MW that divides, or is a multiple of, the
  sliding window's channels) x PE (a divisor of MH) with the fewest MACs per
  cycle; its sliding window and padding follow (SIMD, or ``parallel_window``
  with SIMD = channels when the MVAU takes more than one pixel per beat);
- any other node (sliding window, padding, pool): the smallest SIMD / PE that
  divides its channels and meets the target.

The result is a FINN folding config (``ApplyConfig``'s format) for
``ann_estimate(..., folding_config=...)``; FINN's estimators then price it.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _set(inst, changed: dict, name: str, **attrs) -> None:
    for k, v in attrs.items():
        inst.set_nodeattr(k, int(v))
        changed.setdefault(name, {})[k] = int(v)


def _prev(model: ModelWrapper, node, op: str):
    p = model.find_producer(node.input[0])
    while p is not None and not p.op_type.startswith(op) and p.op_type.startswith(("StreamingFIFO",
                                                                                  "StreamingDataWidthConverter")):
        p = model.find_producer(p.input[0])
    return p if p is not None and p.op_type.startswith(op) else None


def _fold_mvau(model, node, target: int, changed: dict) -> None:
    inst = getCustomOp(node)
    mw, mh = inst.get_nodeattr("MW"), inst.get_nodeattr("MH")
    swg = _prev(model, node, "ConvolutionInputGenerator")
    c = getCustomOp(swg).get_nodeattr("IFMChannels") if swg is not None else None
    simds = [s for s in _divisors(mw) if c is None or c % s == 0 or s % c == 0]
    best = None
    for s in simds:
        for p in _divisors(mh):
            inst.set_nodeattr("SIMD", s)
            inst.set_nodeattr("PE", p)
            if inst.get_exp_cycles() <= target and (best is None or s * p < best[0] * best[1]):
                best = (s, p)
    if best is None:
        raise ValueError(f"{node.name}: no SIMD x PE reaches {target} cycles per frame")
    _set(inst, changed, node.name, SIMD=best[0], PE=best[1])
    if swg is not None:
        si = getCustomOp(swg)
        parallel = best[0] > c
        _set(si, changed, swg.name, SIMD=c if parallel else best[0])
        if "parallel_window" in si.get_nodeattr_types():
            _set(si, changed, swg.name, parallel_window=int(parallel))
        pad = _prev(model, swg, "FMPadding")
        if pad is not None:
            _set(getCustomOp(pad), changed, pad.name, SIMD=c if parallel else best[0])


def _fold_other(node, target: int, changed: dict) -> None:
    inst = getCustomOp(node)
    attrs = inst.get_nodeattr_types()
    key = "SIMD" if "SIMD" in attrs else "PE" if "PE" in attrs else None
    if key is None:
        return
    channels = next((inst.get_nodeattr(k) for k in ("IFMChannels", "NumChannels", "Channels") if k in attrs), None)
    for d in _divisors(int(channels)) if channels else []:
        if d < inst.get_nodeattr(key):
            continue
        inst.set_nodeattr(key, d)
        if inst.get_exp_cycles() <= target:
            changed.setdefault(node.name, {})[key] = d
            return
    raise ValueError(f"{node.name}: no {key} reaches {target} cycles per frame")


def fold_to_target(model: ModelWrapper, target: int) -> dict:
    """A FINN folding config (``{"Defaults": {}, node: {attr: value}}``) that brings every node of ``model``
    (FINN's folded dataflow graph, modified in place) to at most ``target`` cycles per frame."""
    import finn.custom_op.fpgadataflow.hls  # noqa: F401  (FINN's node classes)
    import finn.custom_op.fpgadataflow.rtl  # noqa: F401

    changed: dict = {}
    for _ in range(3):  # a changed MVAU can change its sliding window and padding: settle
        slow = [n for n in model.graph.node if getCustomOp(n).get_exp_cycles() > target]
        if not slow:
            break
        for node in slow:
            if getCustomOp(node).get_exp_cycles() <= target:
                continue
            if node.op_type.startswith("MVAU"):
                _fold_mvau(model, node, target, changed)
            else:
                _fold_other(node, target, changed)
    return {"Defaults": {}, **changed}


__all__ = ["fold_to_target"]
