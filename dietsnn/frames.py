"""Images -> the DMA's input bytes and output bytes -> integer values, for one build's stream formats.

``stream`` holds the chain's element formats (``in_bits``, ``in_elems``,
``out_bits``, ``out_elems``, ``out_signed``) and ``params`` the accelerator's
``AXIS_IN_WIDTH`` / ``AXIS_OUT_WIDTH``, as ``stitched.json`` and the
simulation harness's ``harness.json`` record them. The bit layout is
``dietsnn.ref.streams`` (SPEC section 5).
"""

from __future__ import annotations

import numpy as np

from .ref.streams import image_to_stream, pack_frames, unpack_frames


def pack_images(images: np.ndarray, stream: dict, params: dict) -> np.ndarray:
    """``(N, C, H, W)`` images -> ``(N, frame bytes)`` uint8: NHWC pixels, beats of ``AXIS_IN_WIDTH`` bits."""
    x = image_to_stream(images).reshape(len(images), -1)
    return pack_frames(x, stream["in_bits"], stream["in_elems"], params["AXIS_IN_WIDTH"] // 8)


def unpack_outputs(data: np.ndarray, stream: dict, params: dict) -> np.ndarray:
    """``(N, frame bytes)`` uint8 output -> ``(N, values per frame)`` int64."""
    return unpack_frames(data, stream["out_bits"], stream["out_elems"], params["AXIS_OUT_WIDTH"] // 8,
                         stream["out_signed"])
