"""Integers carried exactly through QONNX and FINN, or refused (SPEC section 6, "Implementation bounds").

What each level carries, and in which container:

* parameters (weights, biases, thresholds): int64 initializers in the QONNX
  model and the dataflow graph, so the RTL ``.mem`` files and the HLS ROMs
  (``hw.rtl_gen``, ``hw.hls_gen``) get the network file's integers exactly;
* scores (the output layer): int64 arrays from the ops' Python execution
  (``execute_onnx`` keeps what an op writes; FINN's FIFOs pass them through);
* pixels and spike words between the ops: float32 tensors, as QONNX declares
  them and as onnxruntime (``Flatten``) and FINN's width converters require.
  A float32 holds an integer exactly only below 2^24: ``check_float32_streams``
  refuses a network whose streams could exceed that (``to_qonnx`` calls it, so
  ``dietsnn export`` and ``dietsnn compile`` refuse it, with the same message).

``exact_ints`` reads any of these back as int64, refusing a float that may
have been rounded (at or above its type's exact range, or not integral).

>>> exact_ints(np.array([3.0, -7.0], np.float32), "x").tolist()
[3, -7]
>>> exact_ints(np.array([2.0**25], np.float32), "fc2.bias")
Traceback (most recent call last):
ValueError: fc2.bias: value 33554432 is held in float32, which holds integers exactly only below 2^24 = 16777216; expected an integer array
"""

from __future__ import annotations

import numpy as np

from dietsnn.vocab import FLOAT32_EXACT, Kind


def float_exact_bound(dtype) -> int:
    """Integers of magnitude below this are exact in the float ``dtype`` (2^24 for float32, 2^53 for float64)."""
    return 2 ** (np.finfo(dtype).nmant + 1)


def exact_ints(a, what: str) -> np.ndarray:
    """``a`` as int64: integer arrays as they are (within int64); float arrays only when every value is an
    integer below the float type's exact bound, else a ValueError naming ``what``, the value and the cap."""
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        if a.dtype.kind == "u" and a.dtype.itemsize >= 8 and a.size and int(a.max()) > np.iinfo(np.int64).max:
            raise ValueError(f"{what}: value {int(a.max())} exceeds the signed 64-bit range")
        return a.astype(np.int64)
    if a.dtype.kind != "f":
        raise ValueError(f"{what}: expected integers, got dtype {a.dtype}")
    if a.size and not np.all(np.isfinite(a)):
        raise ValueError(f"{what}: expected integers, got a non-finite value")
    if a.size and not np.array_equal(a, np.rint(a)):
        raise ValueError(f"{what}: expected integer values, got {a.flat[np.flatnonzero(a != np.rint(a))[0]]!r}")
    cap = float_exact_bound(a.dtype)
    if a.size and np.abs(a).max() >= cap:
        bits = cap.bit_length() - 1
        raise ValueError(f"{what}: value {int(np.abs(a).max())} is held in {a.dtype}, which holds integers exactly "
                         f"only below 2^{bits} = {cap}; expected an integer array")
    return a.astype(np.int64)


def check_float32_streams(net) -> None:
    """Refuse a network whose float32-carried streams (pixels, T-bit spike words) could reach 2^24.

    Names the layer, the largest value and the cap. (The network file's own
    limits, 16-bit pixels and T <= 16, keep every network below it; this is the
    level's check, called by ``to_qonnx`` for ``export`` and ``compile`` alike.)
    """
    largest = [("the input image", 2**net.input_bits - 1)]
    largest += [(f"layer {layer.name}", 2**net.T - 1) for layer in net.layers
                if layer.kind is not Kind.OUTPUT_ACCUMULATE]
    for where, value in largest:
        if value >= FLOAT32_EXACT:
            raise ValueError(f"{where}: its stream values reach {value}, but QONNX and FINN carry them in float32 "
                             f"tensors, exact only below 2^24 = {FLOAT32_EXACT} (SPEC section 6); refused")


__all__ = ["float_exact_bound", "exact_ints", "check_float32_streams"]
