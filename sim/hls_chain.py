"""The HLS path checked as a whole network: every project layer's g++ C simulation in a chain.

``dietsnn predict --level hls --build B`` and ``bench-network``'s ``hls`` entry
run it. For a build compiled with ``--impl rtl`` or ``--impl hls``, each of the
project's nodes in ``B/dataflow.onnx`` (``Snn*``) becomes its HLS top function
(``hw.hls_gen.node_layer``: the node's own folding and parameters, the graph's
int64 initializers) compiled with g++ into a C-simulation binary, the
``<layer>_csim.cpp`` main that ``hw.hls_gen`` renders for it. FINN's own nodes
run between them:

- padding and sliding window (``FMPadding``, ``ConvolutionInputGenerator``) and
  any other FINN node through FINN's own Python execution (``exec_mode`` cppsim,
  which is their Python model), one frame at a time, on float32 containers: the values are checked to
  be integers below 2**24 going in and coming out (exact in float32), else an
  error names the node;
- FIFOs and width converters carry the element sequence unchanged (that is what
  they do in hardware and in FINN's Python execution), so they are a reshape
  here, exact for any width (the scores leaving the last layer may be wider than
  float32 holds).

Streams are passed layer to layer as beats: a node's input tensor, in FINN's
folded order, is packed into beats of its stream width (SPEC section 5: element
0 in the least-significant bits, ``dietsnn.ref.streams.pack_frames``), written
as the hexadecimal lines the C simulation reads, and its output beats are
unpacked with the node's output datatype (padding bits above the fields must be
zero). Images go in chunks; ``jobs`` chunks run at once. The binaries are
cached by content in the project's cache outside the checkout
(``hw.toolenv.cache_dir()/hls_chain/<layer>_<hash of the generated code,
kernels and flags>``), so builds of the same layers share them.

>>> from sim.hls_chain import hex_lines, parse_hex_lines
>>> import numpy as np
>>> rows = np.array([[0x34, 0x12], [0xff, 0x00]], np.uint8)  # two 12-bit beats, little-endian bytes
>>> hex_lines(rows)
b'1234\\n00ff\\n'
>>> parse_hex_lines(b'234\\n0ff\\n', 12).tolist()
[[52, 2], [255, 0]]
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dietsnn.ref.streams import pack_frames, unpack_frames
from dietsnn.vocab import FLOAT32_EXACT

CHAIN_DIR = "hls_chain"  #: the compiled C simulations, in the project cache (hw.toolenv.cache_dir())
CXX = os.environ.get("CXX", "g++")
#: the chain's g++ flags: hw.hls_gen's, at -O2 (measured on fmnist, 100 images: 5.3 s of C-simulation CPU time
#: against 6.4 s at the block tests' -O1; the compile takes the same 3-6 s per layer)
CXXFLAGS = ("-std=c++14", "-O2")
IDENTITY_OPS = ("StreamingFIFO", "StreamingDataWidthConverter")  #: FINN ops that pass the element sequence on
#: wall-clock limit of one C simulation run: generous, only there to turn a hang into an error
TIMEOUT_BASE_S, TIMEOUT_PER_FRAME_S = 300.0, 5.0


class ChainError(RuntimeError):
    """The chain cannot be built from this build folder, or one of its stages failed (the message names the node)."""


# ------------------------------------------------------------------ beats <-> the C simulation's text format
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
_NIBBLE = np.full(256, 255, np.uint8)
_NIBBLE[_HEX] = np.arange(16, dtype=np.uint8)
_NIBBLE[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16, dtype=np.uint8)


def hex_lines(rows: np.ndarray) -> bytes:
    """``(beats, bytes)`` little-endian uint8 beats -> one hexadecimal number per line (most significant first)."""
    rows = np.asarray(rows, np.uint8)
    n, nb = rows.shape
    be = rows[:, ::-1]
    digits = np.empty((n, 2 * nb + 1), np.uint8)
    digits[:, 0:-1:2] = _HEX[be >> 4]
    digits[:, 1:-1:2] = _HEX[be & 15]
    digits[:, -1] = ord("\n")
    return digits.tobytes()


def parse_hex_lines(text: bytes, width: int) -> np.ndarray:
    """The C simulation's output (``ceil(width / 4)`` hex digits per line) -> ``(beats, ceil(width / 8))`` uint8,
    little-endian. A line of another length or a non-hex digit is an error."""
    d = (width + 3) // 4
    raw = np.frombuffer(text, np.uint8)
    if raw.size % (d + 1):
        raise ValueError(f"expected lines of {d} hexadecimal digits, got {raw.size} bytes")
    lines = raw.reshape(-1, d + 1)
    if lines.size and (lines[:, -1] != ord("\n")).any():
        raise ValueError(f"expected lines of {d} hexadecimal digits")
    nib = _NIBBLE[lines[:, :-1]]
    if (nib == 255).any():
        raise ValueError("a non-hexadecimal digit in the output")
    if d % 2:
        nib = np.concatenate([np.zeros((len(nib), 1), np.uint8), nib], axis=1)
    be = (nib[:, 0::2] << 4) | nib[:, 1::2]
    return np.ascontiguousarray(be[:, ::-1])


# ------------------------------------------------------------------ the stages
@dataclass(frozen=True)
class Stream:
    """One side of a stage: elements of ``bits`` bits, ``per_beat`` to a beat of ``beat_bytes`` bytes."""

    bits: int
    per_beat: int
    beats: int  #: beats per frame
    signed: bool = False

    @property
    def width(self) -> int:
        return self.bits * self.per_beat

    @property
    def beat_bytes(self) -> int:
        return (self.width + 7) // 8


@dataclass(frozen=True)
class Stage:
    """One node of the dataflow graph as the chain runs it."""

    node: str  #: node name
    op_type: str  #: FINN op type
    how: str  #: "csim" (the project's layer, g++), "identity" (FIFO, width converter), "finn" (FINN's Python model)
    in_shape: tuple  #: one frame's normal input shape (no batch dimension)
    out_shape: tuple  #: one frame's normal output shape
    binary: Path | None = None  #: the C simulation ("csim")
    src: Stream | None = None  #: the C simulation's input stream ("csim")
    dst: Stream | None = None  #: its output stream ("csim")


def _frame_shape(shape) -> tuple:
    shape = tuple(int(s) for s in shape)
    if not shape or shape[0] != 1:
        raise ChainError(f"expected a tensor shape with batch 1, got {shape}")
    return shape[1:]


def _layer_key(layer, hls_gen) -> str:
    h = hashlib.sha256(" ".join([CXX, *CXXFLAGS]).encode())
    for fname, text in sorted(hls_gen.render(layer).items()):
        h.update(fname.encode() + b"\0" + text.encode())
    for header in ("snn_common.h", layer.header):
        h.update(header.encode() + b"\0" + (hls_gen.HLS_DIR / header).read_bytes())
    return h.hexdigest()[:16]


def _compile(layer, folder: Path, hls_gen) -> Path:
    """Generate ``layer``'s top function and C-simulation main and compile them into ``folder`` (cached: the
    folder appears whole, renamed from a private one, so concurrent runs never see half of it)."""
    binary = folder / "csim"
    if binary.is_file():
        return binary
    work = folder.with_name(f".{folder.name}.tmp{os.getpid()}.{threading.get_ident()}")
    shutil.rmtree(work, ignore_errors=True)
    hls_gen.generate(layer, work)
    sources = sorted(work.glob("*.cpp"))
    cmd = [CXX, *CXXFLAGS, f"-I{hls_gen.hls_include()}", f"-I{hls_gen.HLS_DIR}", *map(str, sources), "-o",
           str(work / "csim")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        shutil.rmtree(work, ignore_errors=True)
        raise ChainError(f"{folder.name}: g++ failed ({' '.join(cmd)}):\n{proc.stderr[-4000:]}")
    try:
        os.rename(work, folder)
    except OSError:  # another run compiled the same content meanwhile
        shutil.rmtree(work, ignore_errors=True)
    if not binary.is_file():
        raise ChainError(f"{folder}: no C simulation binary after compiling")
    return binary


def _csim_stage(node, inst, model, root: Path, hls_gen) -> tuple[Stage, Callable[[], Path]]:
    """The stage of one of the project's nodes, and a function that compiles its binary."""
    try:
        layer = hls_gen.node_layer(inst, model)
    except (ValueError, KeyError, TypeError) as e:
        raise ChainError(f"node {node.name} ({node.op_type}): no HLS C simulation for it: {e}") from e
    in_shape = _frame_shape(inst.get_normal_input_shape())
    out_shape = _frame_shape(inst.get_normal_output_shape())
    idt, odt = inst.get_input_datatype(), inst.get_output_datatype()
    streams = []
    for side, width, beats, shape, dt in (("input", layer.in_width, layer.beats_in, in_shape, idt),
                                          ("output", layer.out_width, layer.beats_out, out_shape, odt)):
        bits = dt.bitwidth()
        per_beat, rem = divmod(width, bits)
        if rem or per_beat * beats != math.prod(shape):
            raise ChainError(f"node {node.name} ({node.op_type}): its HLS layer's {side} stream ({beats} beats of "
                             f"{width} bits) does not carry the node's {side} {shape} of {dt.name}")
        streams.append(Stream(bits, per_beat, beats, dt.signed()))
    folder = root / f"{layer.name}_{_layer_key(layer, hls_gen)}"
    stage = Stage(node.name, node.op_type, "csim", in_shape, out_shape, folder / "csim", *streams)
    return stage, lambda: _compile(layer, folder, hls_gen)


# ------------------------------------------------------------------ the chain
@dataclass
class ChainTimes:
    """Seconds spent per stage (summed over chunks and jobs), and the compile time."""

    compile_s: float = 0.0
    stages: dict = field(default_factory=dict)


class HlsChain:
    """The HLS C simulations of a compiled build, chained with FINN's own nodes; ``run(images)`` -> the graph's
    output (scores ``(N, classes)``) for uint8 ``(N, C, H, W)`` images."""

    def __init__(self, build: str | Path, jobs: int | None = None, chunk: int = 200,
                 progress: Callable[[str], None] | None = None):
        from qonnx.custom_op.registry import getCustomOp

        from hw import hls_gen
        from hw.compile import load_dataflow

        self.build = Path(build)
        if not (self.build / "dataflow.onnx").is_file():
            raise FileNotFoundError(f"--build {self.build}: no dataflow.onnx (not a folder made by `dietsnn compile`)")
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise ValueError(f"chunk must be a positive number of images, not {chunk!r}")
        self.jobs = max(1, int(jobs or os.cpu_count() or 1))
        self.chunk = chunk
        self.progress = progress
        self.model = load_dataflow(self.build)
        self.times = ChainTimes()
        self._lock = threading.Lock()
        graph = self.model.graph
        if len(graph.input) != 1 or len(graph.output) != 1:
            raise ChainError(f"{self.build / 'dataflow.onnx'}: expected one graph input and one output")
        self.input = graph.input[0].name
        self.output = graph.output[0].name
        self.input_shape = _frame_shape(self.model.get_tensor_shape(self.input))
        from hw.toolenv import cache_dir

        root = cache_dir() / CHAIN_DIR
        root.mkdir(exist_ok=True)
        self.stages: list[Stage] = []
        compiles = []
        for node in graph.node:
            data_inputs = [i for i in node.input if self.model.get_initializer(i) is None]
            if len(data_inputs) != 1 or len(node.output) != 1:
                raise ChainError(f"node {node.name} ({node.op_type}): expected one stream in and one out, got "
                                 f"inputs {list(node.input)} and outputs {list(node.output)}")
            inst = getCustomOp(node)
            if node.op_type.startswith("Snn"):
                stage, job = _csim_stage(node, inst, self.model, root, hls_gen)
                compiles.append(job)
            else:
                how = "identity" if node.op_type.startswith(IDENTITY_OPS) else "finn"
                stage = Stage(node.name, node.op_type, how, _frame_shape(self.model.get_tensor_shape(data_inputs[0])),
                              _frame_shape(self.model.get_tensor_shape(node.output[0])))
                if how == "identity" and math.prod(stage.in_shape) != math.prod(stage.out_shape):
                    raise ChainError(f"node {node.name} ({node.op_type}): {stage.in_shape} -> {stage.out_shape} is not "
                                     "a pass-through of the element sequence")
            self.stages.append(stage)
        t = time.time()
        self._say(f"compiling {len(compiles)} C simulations in {root}")
        with ThreadPoolExecutor(self.jobs) as pool:
            list(pool.map(lambda f: f(), compiles))
        self.times.compile_s = time.time() - t

    def _say(self, msg: str) -> None:
        if self.progress:
            self.progress(msg)

    def run(self, images: np.ndarray) -> np.ndarray:
        """The graph's output (int64, ``(N, ...)``) for uint8 NCHW ``images``, chunk by chunk, ``jobs`` at once."""
        images = np.asarray(images)
        x = images.transpose(0, 2, 3, 1) if images.ndim == 4 else images
        if x.ndim != 4 or tuple(x.shape[1:]) != self.input_shape:
            h, w, c = self.input_shape
            raise ValueError(f"images: expected (N, {c}, {h}, {w}) for this build, got {tuple(images.shape)}")
        if x.dtype.kind not in "iu":
            raise ValueError(f"images: expected integers, not {x.dtype}")
        starts = list(range(0, len(x), self.chunk))
        done = [0]
        lock = threading.Lock()

        def one(start):
            out = self._run_chunk(np.ascontiguousarray(x[start:start + self.chunk]).astype(np.int64))
            with lock:
                done[0] += len(out)
                self._say(f"hls chain: {done[0]}/{len(x)} images")
            return out

        with ThreadPoolExecutor(self.jobs) as pool:
            outs = list(pool.map(one, starts))
        return np.concatenate(outs) if outs else np.zeros((0,), np.int64)

    def _run_chunk(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        for stage in self.stages:
            t = time.time()
            if stage.how == "identity":
                x = x.reshape((n, *stage.out_shape))
            elif stage.how == "finn":
                x = self._run_finn(stage, x)
            else:
                x = self._run_csim(stage, x)
            with self._lock:
                self.times.stages[stage.node] = self.times.stages.get(stage.node, 0.0) + time.time() - t
        return x.reshape(n, -1)

    def _run_finn(self, stage: Stage, x: np.ndarray) -> np.ndarray:
        """A FINN node through its own Python execution, one frame at a time (as FINN executes a graph; qonnx's
        Im2Col, which the sliding window's model calls, orders its output correctly only for batch 1)."""
        from qonnx.custom_op.registry import getCustomOp

        node = next(nd for nd in self.model.graph.node if nd.name == stage.node)
        inst = getCustomOp(node)
        if "exec_mode" in inst.get_nodeattr_types():
            inst.set_nodeattr("exec_mode", "cppsim")  # FINN's Python model of the node
        who = f"node {stage.node} ({stage.op_type})"
        if x.size and int(np.abs(x).max()) >= FLOAT32_EXACT:
            raise ChainError(f"{who}: input values up to {int(np.abs(x).max())} are not exact in FINN's float32 "
                             f"execution (limit {FLOAT32_EXACT})")
        n = len(x)
        params = {i: self.model.get_initializer(i) for i in node.input if self.model.get_initializer(i) is not None}
        data = next(i for i in node.input if i not in params)
        frames = x.reshape((n, 1, *stage.in_shape)).astype(np.float32)
        out = np.empty((n, *stage.out_shape), np.int64)
        for k in range(n):
            ctx = {**params, data: frames[k], node.output[0]: np.zeros((1, *stage.out_shape), np.float32)}
            inst.execute_node(ctx, self.model.graph)
            y = np.asarray(ctx[node.output[0]])
            if y.shape != (1, *stage.out_shape) or not np.array_equal(np.rint(y), y):
                raise ChainError(f"{who}: FINN's execution returned non-integer or misshaped values {y.shape}")
            out[k] = np.rint(y[0]).astype(np.int64)
        return out

    def _run_csim(self, stage: Stage, x: np.ndarray) -> np.ndarray:
        """One of the project's layers through its C simulation: ``len(x)`` frames, one call each."""
        n, src, dst = len(x), stage.src, stage.dst
        who = f"node {stage.node} ({stage.op_type})"
        try:
            packed = pack_frames(x.reshape(n, -1), src.bits, src.per_beat, src.beat_bytes, src.signed)
        except ValueError as e:
            raise ChainError(f"{who}: its input does not fit the stream: {e}") from e
        with tempfile.TemporaryDirectory(prefix="dietsnn_hls_chain_") as tmp:
            fin, fout = Path(tmp) / "in.txt", Path(tmp) / "out.txt"
            fin.write_bytes(hex_lines(packed.reshape(n * src.beats, src.beat_bytes)))
            try:
                proc = subprocess.run([str(stage.binary), str(fin), str(fout)], capture_output=True, text=True,
                                      timeout=TIMEOUT_BASE_S + TIMEOUT_PER_FRAME_S * n)
            except subprocess.TimeoutExpired as e:
                raise ChainError(f"{who}: its C simulation ({stage.binary}) ran past {e.timeout:.0f} s on {n} "
                                 "frames") from e
            if proc.returncode:
                raise ChainError(f"{who}: its C simulation ({stage.binary}) failed (exit {proc.returncode}): "
                                 f"{proc.stderr.strip()[-2000:]}")
            text = fout.read_bytes()
        try:
            rows = parse_hex_lines(text, dst.width)
            if len(rows) != n * dst.beats:
                raise ValueError(f"{len(rows)} output beats, expected {n * dst.beats}")
            y = unpack_frames(rows.reshape(n, dst.beats * dst.beat_bytes), dst.bits, dst.per_beat, dst.beat_bytes,
                              dst.signed)
        except ValueError as e:
            raise ChainError(f"{who}: unexpected output of its C simulation: {e}") from e
        return y.reshape((n, *stage.out_shape))


def run_hls_chain(build: str | Path, images: np.ndarray, jobs: int | None = None, chunk: int = 200,
                  progress: Callable[[str], None] | None = None) -> np.ndarray:
    """``HlsChain(build, ...).run(images)``: the build's output through its layers' C simulations."""
    return HlsChain(build, jobs=jobs, chunk=chunk, progress=progress).run(images)


__all__ = ["ChainError", "HlsChain", "Stage", "Stream", "hex_lines", "parse_hex_lines", "run_hls_chain"]
