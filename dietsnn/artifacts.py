"""The build's JSON files as typed, checked dataclasses: ``stitched.json``, ``report.json``, ``fifo_depths.json``.

Each class has ``load(path)`` (a file, or the build folder holding it) and
``save(path)``. ``load`` names the file and the field when the file is missing,
is not JSON, lacks a key or holds a value of the wrong type
(``ArtifactError``, a ``ValueError``); ``save`` writes atomically (a temporary
file, then ``os.replace``), so a reader never sees half a file. The files keep
the format they always had. Numpy-free: the board's driver reads
``stitched.json`` and ``report.json`` through these.

>>> FifoDepths(method="m", frames=3, peaks={"f0": 5}, depths={"f0": 7}).to_dict()["depths"]
{'f0': 7}
"""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .fsutil import atomic_write_text


class ArtifactError(ValueError):
    """A build file that is missing, not JSON, or lacks a field of the expected type."""


# ------------------------------------------------------------------ checked reads
def _read(path: Path, hint: str) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing ({hint})")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ArtifactError(f"{path}: not valid JSON ({e}); {hint}") from e
    if not isinstance(data, dict):
        raise ArtifactError(f"{path}: expected a JSON object, got {type(data).__name__}; {hint}")
    return data


_KINDS = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string", "dict": "an object",
          "list": "a list", "str_list": "a list of strings", "int_dict": "an object of integers"}


class _Fields:
    """Typed access to one JSON object of a file: errors name the file and the field's path."""

    def __init__(self, data: dict, source: str, where: str = "", hint: str = ""):
        self.data, self.source, self.where, self.hint = data, source, where, hint

    def _fail(self, key: str, msg: str):
        hint = f"; {self.hint}" if self.hint else ""
        raise ArtifactError(f"{self.source}: field {self.where}{key}: {msg}{hint}")

    def get(self, key: str, kind: str, default: Any = ...):
        """``data[key]`` checked as ``kind``: int, float, bool, str, dict, list, str_list, int_dict, object."""
        if key not in self.data:
            if default is not ...:
                return default
            self._fail(key, "missing")
        v = self.data[key]
        ok = {"int": lambda: isinstance(v, int) and not isinstance(v, bool),
              "float": lambda: isinstance(v, numbers.Real) and not isinstance(v, bool),
              "bool": lambda: isinstance(v, bool),
              "str": lambda: isinstance(v, str),
              "dict": lambda: isinstance(v, dict),
              "list": lambda: isinstance(v, list),
              "str_list": lambda: isinstance(v, list) and all(isinstance(x, str) for x in v),
              "int_dict": lambda: isinstance(v, dict) and all(isinstance(x, int) and not isinstance(x, bool)
                                                             for x in v.values()),
              "object": lambda: True}[kind]()
        if not ok:
            self._fail(key, f"expected {_KINDS[kind]}, got {v!r:.80}")
        return float(v) if kind == "float" else v

    def sub(self, key: str) -> "_Fields":
        return _Fields(self.get(key, "dict"), self.source, f"{self.where}{key}.", self.hint)

    def items(self, key: str) -> list["_Fields"]:
        out = []
        for i, v in enumerate(self.get(key, "list")):
            if not isinstance(v, dict):
                self._fail(f"{key}[{i}]", f"expected an object, got {v!r:.80}")
            out.append(_Fields(v, self.source, f"{self.where}{key}[{i}].", self.hint))
        return out


def _path(path: str | Path, name: str) -> Path:
    path = Path(path)
    return path / name if path.is_dir() else path


class _Artifact:
    FILE: ClassVar[str]
    HINT: ClassVar[str]

    @classmethod
    def load(cls, path: str | Path):
        """Read ``path`` (the file, or the build folder holding it), checking every field."""
        path = _path(path, cls.FILE)
        return cls.from_dict(_read(path, cls.HINT), str(path))

    @classmethod
    def from_dict(cls, data: dict, source: str = "<dict>"):
        return cls._parse(_Fields(data, source, hint=cls.HINT))

    def save(self, path: str | Path) -> Path:
        """Write atomically to ``path`` (the file, or the build folder that gets ``FILE``)."""
        path = _path(path, self.FILE)
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")


# ------------------------------------------------------------------ stitched.json
#: the stream-format keys of stitched.json (kept at the top level, as the file always had them)
STREAM_KEYS = ("in_bits", "in_elems", "out_bits", "out_elems", "out_signed", "out_per_frame")
#: the deployable top's parameters that every reader relies on
ACCEL_PARAMETERS = ("IN_WIDTH", "OUT_WIDTH", "AXIS_IN_WIDTH", "AXIS_OUT_WIDTH", "IN_BEATS", "OUT_BEATS", "BATCHES",
                    "NETWORK_ID")


@dataclass(frozen=True)
class StreamFormat:
    """Elements per beat of the accelerator's input and output streams (SPEC section 5)."""

    in_bits: int  #: bits of an input element (a pixel)
    in_elems: int  #: input elements per beat
    out_bits: int  #: bits of an output element (a score or the label)
    out_elems: int  #: output elements per beat
    out_signed: bool  #: scores are signed, a label is not
    out_per_frame: int  #: output beats per frame

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in STREAM_KEYS}


@dataclass(frozen=True)
class Stitched(_Artifact):
    """``BUILD/stitched.json``: the stitched design (``hw.stitch``), read by the simulation and the driver."""

    FILE: ClassVar[str] = "stitched.json"
    HINT: ClassVar[str] = "stitch the build again (`dietsnn stitch BUILD`)"

    top: str  #: the chain's top module (``dietsnn_top``)
    accel_module: str  #: the deployable top with DMA framing (``dietsnn_accel``)
    accel_parameters: dict  #: its parameters (``ACCEL_PARAMETERS``, integers)
    sources: tuple[str, ...]  #: HDL files in ``BUILD/rtl``, in compile order
    mem_files: tuple[str, ...]  #: ``$readmemh`` files in ``BUILD/rtl``
    in_width: int  #: padded input stream width of the chain
    out_width: int  #: padded output stream width of the chain
    waivers: str  #: Verilator waiver file of FINN's sources, in ``BUILD/rtl``
    nodes: tuple[tuple[str, str], ...]  #: ``(name, op_type)`` of every node, in chain order
    stream: StreamFormat  #: element formats of the input and output streams
    #: weights in UltraRAM: the load transfer the driver sends after every reset (``hw.weight_load``): ``file``,
    #: ``bytes``, ``beats``, ``beat_bits``, ``sha256``, ``layers``; None when every weight is in the bitstream
    weight_load: dict | None = None

    @property
    def network_id(self) -> int:
        """The network identity the accelerator carries (``NETWORK_ID``)."""
        return int(self.accel_parameters["NETWORK_ID"])

    @classmethod
    def _parse(cls, f: _Fields) -> "Stitched":
        accel = f.sub("accel")
        params = accel.get("parameters", "int_dict")
        missing = [p for p in ACCEL_PARAMETERS if p not in params]
        if missing:
            accel.sub("parameters")._fail(missing[0], "missing")
        nodes = tuple((n.get("name", "str"), n.get("op_type", "str")) for n in f.items("nodes"))
        stream = StreamFormat(**{k: f.get(k, "bool" if k == "out_signed" else "int") for k in STREAM_KEYS})
        return cls(top=f.get("top", "str"), accel_module=accel.get("module", "str"), accel_parameters=params,
                   sources=tuple(f.get("sources", "str_list")), mem_files=tuple(f.get("mem_files", "str_list")),
                   in_width=f.get("in_width", "int"), out_width=f.get("out_width", "int"),
                   waivers=f.get("waivers", "str"), nodes=nodes, stream=stream,
                   weight_load=_weight_load(f) if f.data.get("weight_load") is not None else None)

    def to_dict(self) -> dict:
        return {"top": self.top, "accel": {"module": self.accel_module, "parameters": dict(self.accel_parameters)},
                "sources": list(self.sources), "mem_files": list(self.mem_files), "in_width": self.in_width,
                "out_width": self.out_width, "waivers": self.waivers,
                "nodes": [{"name": n, "op_type": t} for n, t in self.nodes], **self.stream.to_dict(),
                **({"weight_load": dict(self.weight_load)} if self.weight_load else {})}


def _weight_load(f: _Fields) -> dict:
    """stitched.json's ``weight_load``, every field checked."""
    w = f.sub("weight_load")
    rec = {"file": w.get("file", "str"), **{k: w.get(k, "int") for k in ("bytes", "beats", "beat_bits")},
           "sha256": w.get("sha256", "str"),
           "layers": [{"node": l.get("node", "str"), "words": l.get("words", "int"),
                       "word_bits": l.get("word_bits", "int")} for l in w.items("layers")]}
    if rec["bytes"] < 1 or rec["beats"] < 1 or rec["bytes"] % rec["beats"]:
        w._fail("bytes", f"expected a positive whole number of beats, got {rec['bytes']} bytes in {rec['beats']}")
    return rec


# ------------------------------------------------------------------ report.json
RESOURCES = ("LUT", "BRAM_18K", "URAM", "DSP")  #: the estimated resources of every entry


@dataclass(frozen=True)
class NodeEstimate:
    """One FINN node of the dataflow graph: its folding, cycles and resource estimates."""

    node: str  #: node name
    op_type: str  #: FINN op type (specialized)
    cycles: int  #: expected cycles per frame
    LUT: int
    BRAM_18K: int
    URAM: int
    DSP: int
    #: SIMD, PE, parallel_window, depth, variant, ram_style where the node has them
    folding: dict = field(default_factory=dict)

    @classmethod
    def _parse(cls, f: _Fields) -> "NodeEstimate":
        folding = {k: f.get(k, "int") for k in ("SIMD", "PE", "parallel_window", "depth") if k in f.data}
        folding.update({k: f.get(k, "str") for k in ("variant", "variant_costs", "ram_style") if k in f.data})
        return cls(node=f.get("node", "str"), op_type=f.get("op_type", "str"), cycles=f.get("cycles", "int"),
                   folding=folding, **{r: f.get(r, "int") for r in RESOURCES})

    def to_dict(self) -> dict:
        return {"node": self.node, "op_type": self.op_type, "cycles": self.cycles, **self.folding,
                **{r: getattr(self, r) for r in RESOURCES}}


@dataclass(frozen=True)
class LayerEstimate:
    """One network layer: its nodes (padding, sliding window, the block), folding, widths and estimates."""

    layer: str  #: the network's layer name
    kind: str  #: the block's FINN op type
    nodes: tuple[NodeEstimate, ...]
    SIMD: int | None
    PE: int | None
    cycles: int  #: the slowest of its nodes
    LUT: int
    BRAM_18K: int
    URAM: int
    DSP: int
    widths: dict = field(default_factory=dict)  #: acc_bits, state_bits, acc_bound, state_bound (weighted layers)

    @classmethod
    def _parse(cls, f: _Fields) -> "LayerEstimate":
        widths = {k: f.get(k, "int") for k in ("acc_bits", "state_bits", "acc_bound", "state_bound") if k in f.data}
        simd, pe = (f.get(k, "object") for k in ("SIMD", "PE"))
        for k, v in (("SIMD", simd), ("PE", pe)):
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                f._fail(k, f"expected int or null, got {v!r}")
        return cls(layer=f.get("layer", "str"), kind=f.get("kind", "str"),
                   nodes=tuple(NodeEstimate._parse(n) for n in f.items("nodes")), SIMD=simd, PE=pe,
                   cycles=f.get("cycles", "int"), widths=widths, **{r: f.get(r, "int") for r in RESOURCES})

    def to_dict(self) -> dict:
        return {"layer": self.layer, "kind": self.kind, "nodes": [n.to_dict() for n in self.nodes],
                "SIMD": self.SIMD, "PE": self.PE, "cycles": self.cycles,
                **{r: getattr(self, r) for r in RESOURCES}, **self.widths}


@dataclass(frozen=True)
class CompileReport(_Artifact):
    """``BUILD/report.json``: what ``dietsnn compile`` built, for which target, and its estimates."""

    FILE: ClassVar[str] = "report.json"
    HINT: ClassVar[str] = "compile the build again (`dietsnn compile`)"

    board: str  #: FINN's board name
    part: str  #: the FPGA part
    clock_mhz: float  #: target clock
    target_fps: float  #: target frames per second
    target_cycles: int  #: cycles per frame the target allows
    T: int  #: timesteps
    impl: str  #: "rtl" or "hls"
    max_cycles: int  #: the bottleneck's cycles per frame
    estimated_fps: float  #: clock / max_cycles
    meets_target: bool  #: max_cycles <= target_cycles
    bottleneck: str  #: the slowest layer
    totals: dict  #: estimated resources of the whole design (``RESOURCES``)
    layers: tuple[LayerEstimate, ...]  #: per network layer
    interconnect: tuple[NodeEstimate, ...]  #: FIFOs and width converters
    capacity: dict | None = None  #: the part's resources, when known
    utilization: dict | None = None  #: totals / capacity
    options: dict = field(default_factory=dict)  #: the compile options, as given
    extra: dict = field(default_factory=dict)  #: any further keys, kept as written

    _KEYS: ClassVar[tuple[str, ...]] = (
        "board", "part", "clock_mhz", "target_fps", "target_cycles", "T", "impl", "max_cycles", "estimated_fps",
        "meets_target", "bottleneck", "totals", "layers", "interconnect", "capacity", "utilization", "options")

    @classmethod
    def _parse(cls, f: _Fields) -> "CompileReport":
        kinds = {"board": "str", "part": "str", "clock_mhz": "float", "target_fps": "float", "target_cycles": "int",
                 "T": "int", "impl": "str", "max_cycles": "int", "estimated_fps": "float", "meets_target": "bool",
                 "bottleneck": "str", "totals": "dict"}
        values = {k: f.get(k, kind) for k, kind in kinds.items()}  # in the file's order: the first bad one is named
        for r in RESOURCES:
            f.sub("totals").get(r, "int")
        return cls(**values, layers=tuple(LayerEstimate._parse(x) for x in f.items("layers")),
                   interconnect=tuple(NodeEstimate._parse(x) for x in f.items("interconnect")),
                   capacity=f.get("capacity", "dict", None), utilization=f.get("utilization", "dict", None),
                   options=f.get("options", "dict", {}),
                   extra={k: v for k, v in f.data.items() if k not in cls._KEYS})

    def to_dict(self) -> dict:
        d = {"board": self.board, "part": self.part, "clock_mhz": self.clock_mhz, "target_fps": self.target_fps,
             "target_cycles": self.target_cycles, "T": self.T, "impl": self.impl, "max_cycles": self.max_cycles,
             "estimated_fps": self.estimated_fps, "meets_target": self.meets_target, "bottleneck": self.bottleneck,
             "totals": dict(self.totals), "layers": [x.to_dict() for x in self.layers],
             "interconnect": [x.to_dict() for x in self.interconnect]}
        if self.capacity is not None:
            d["capacity"] = dict(self.capacity)
        if self.utilization is not None:
            d["utilization"] = dict(self.utilization)
        d.update(self.extra)
        if self.options:
            d["options"] = dict(self.options)
        return d

    def all_nodes(self) -> list[NodeEstimate]:
        """Every node of the graph: the layers' and the interconnect's."""
        return [n for layer in self.layers for n in layer.nodes] + list(self.interconnect)


# ------------------------------------------------------------------ fifo_depths.json
@dataclass(frozen=True)
class FifoDepths(_Artifact):
    """``BUILD/fifo_depths.json``: the FIFO depths a simulation measured (``sim.fifo_sizing``)."""

    FILE: ClassVar[str] = "fifo_depths.json"
    HINT: ClassVar[str] = "size the FIFOs again (`dietsnn stitch BUILD`)"

    method: str  #: how the depths were measured
    frames: int  #: frames simulated
    peaks: dict  #: FIFO node -> peak fill
    depths: dict  #: FIFO node -> depth set in dataflow.onnx

    @classmethod
    def _parse(cls, f: _Fields) -> "FifoDepths":
        return cls(method=f.get("method", "str"), frames=f.get("frames", "int"), peaks=f.get("peaks", "int_dict"),
                   depths=f.get("depths", "int_dict"))

    def to_dict(self) -> dict:
        return {"method": self.method, "frames": self.frames, "peaks": dict(self.peaks), "depths": dict(self.depths)}


__all__ = ["ArtifactError", "STREAM_KEYS", "ACCEL_PARAMETERS", "StreamFormat", "Stitched", "RESOURCES",
           "NodeEstimate", "LayerEstimate", "CompileReport", "FifoDepths"]
