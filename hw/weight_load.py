"""The weight-load stream of a stitched design whose matrix units keep their weights in UltraRAM.

UltraRAM is not initialised by the bitstream, so after every reset of the
accelerator the first input beats are the weights (``hw/rtl/snn_wload.sv``,
the demultiplexer in ``dietsnn_top``): for each URAM unit in chain order, its
``NF*SF`` weight words in address order (``hw.rtl_gen.weight_words``), each
word split into ``ceil(word_bits / beat_bits)`` beats of the chain's input
width, least-significant part first. On the DMA side every beat is one
``AXIS_IN_WIDTH``-bit stream beat (little-endian bytes, the upper bits zero),
as frames are.

``write_load_stream`` writes those bytes to ``BUILD/weights.bin``: the driver
sends that file as one DMA transfer after every reset (``dietsnn.weights``),
on the board and in simulation alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from qonnx.custom_op.registry import getCustomOp

from .block_params import check_mvu_arrays
from .rtl_gen import weight_words

WEIGHTS_FILE = "weights.bin"  #: the load stream's bytes, in the build and deploy folders


@dataclass(frozen=True)
class LoadLink:
    """One unit on the load chain."""

    node: str  #: node name
    words: int  #: NF*SF weight words
    word_bits: int  #: PE*SIMD*WBITS

    def beats(self, beat_bits: int) -> int:
        return self.words * -(-self.word_bits // beat_bits)


def load_links(model) -> list[LoadLink]:
    """The units whose weights are in UltraRAM (``ram_style`` "ultra"), in chain order."""
    links = []
    for node in model.graph.node:
        inst = getCustomOp(node)
        attrs = inst.get_nodeattr_types()
        if "ram_style" in attrs and "variant" in attrs and inst.get_nodeattr("ram_style") == "ultra":
            depth, width = inst.weight_memory()
            links.append(LoadLink(node.name, int(depth), int(width)))
    return links


def word_beats(words: list[int], word_bits: int, beat_bits: int) -> list[int]:
    """Split each word into ``ceil(word_bits / beat_bits)`` beats, least-significant first."""
    n = -(-word_bits // beat_bits)
    mask = (1 << beat_bits) - 1
    for w in words:
        if w < 0 or w >> word_bits:
            raise ValueError(f"weight word {w:#x} does not fit {word_bits} bits")
    return [(w >> (j * beat_bits)) & mask for w in words for j in range(n)]


def beats_to_bytes(beats: list[int], axis_bits: int) -> np.ndarray:
    """Stream beats -> the DMA's bytes: ``axis_bits / 8`` little-endian bytes per beat."""
    nb = axis_bits // 8
    out = np.zeros((len(beats), nb), np.uint8)
    for i, b in enumerate(beats):
        out[i] = np.frombuffer(int(b).to_bytes(nb, "little"), np.uint8)
    return out.reshape(-1)


def chain_beats(build: Path, record: dict | None) -> dict:
    """The testbench vectors of the load stream (``{"load": beats as decimal strings}``) of a stitched build whose
    weights are in UltraRAM, read back from ``weights.bin``; ``{}`` without one."""
    if not record:
        return {}
    data = np.fromfile(Path(build) / record["file"], dtype=np.uint8).reshape(record["beats"], -1)
    mask = (1 << record["beat_bits"]) - 1
    return {"load": np.array([str(int.from_bytes(b.tobytes(), "little") & mask) for b in data])}


def load_stream(model, links: list[LoadLink], beat_bits: int, axis_bits: int) -> np.ndarray:
    """The bytes of the whole load transfer (every link's words, in chain order)."""
    parts = []
    for link in links:
        node = model.get_node_from_name(link.node)
        inst = getCustomOp(node)

        def init(i):
            return model.get_initializer(node.input[i]) if i < len(node.input) else None

        p, arrays = check_mvu_arrays(f"node {node.name}", inst.block_params(), init(1), init(2), init(3),
                                     backend="rtl")
        words = weight_words(p, arrays)
        if len(words) != link.words:
            raise ValueError(f"node {node.name}: {len(words)} weight words, the load chain expects {link.words}")
        parts.append(beats_to_bytes(word_beats(words, link.word_bits, beat_bits), axis_bits))
    return np.concatenate(parts)


def write_load_stream(model, links: list[LoadLink], beat_bits: int, axis_bits: int, build: Path) -> dict:
    """Write ``BUILD/weights.bin``; returns its record for ``stitched.json`` (``weight_load``)."""
    data = load_stream(model, links, beat_bits, axis_bits)
    path = Path(build) / WEIGHTS_FILE
    path.write_bytes(data.tobytes())
    return {"file": WEIGHTS_FILE, "bytes": int(data.size), "beats": int(data.size // (axis_bits // 8)),
            "beat_bits": int(beat_bits), "sha256": hashlib.sha256(data.tobytes()).hexdigest(),
            "layers": [{"node": l.node, "words": l.words, "word_bits": l.word_bits} for l in links]}


__all__ = ["WEIGHTS_FILE", "LoadLink", "load_links", "word_beats", "beats_to_bytes", "chain_beats", "load_stream",
           "write_load_stream"]
