"""The integer network file ``*.snn.npz`` of SPEC section 8.

``IntNetwork.load(path)`` validates everything a later stage relies on and
raises ``NetFileError`` naming the file and the field; ``save`` writes the same
format. Numpy only: the board imports this.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT = "diet-snn-int/1"
MAX_T = 16
LIF_KINDS = ("input_lif", "lif_conv", "lif_dense")
CONV_KINDS = ("input_lif", "lif_conv")
KINDS = ("input_lif", "lif_conv", "lif_dense", "spike_maxpool", "output_accumulate")


class NetFileError(ValueError):
    """A ``.snn.npz`` file (or manifest) that breaks SPEC section 8."""


@dataclass(frozen=True)
class Layer:
    """One layer of the integer network (SPEC sections 1 and 8)."""

    name: str  #: unique layer name, the prefix of its arrays
    kind: str  #: one of ``KINDS``
    kernel: tuple[int, int] = (1, 1)  #: (KH, KW) for convolutions and pooling
    stride: tuple[int, int] = (1, 1)  #: (SH, SW)
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)  #: [top, left, bottom, right]
    leak_shift: int = 0  #: k of ``leak_k``, 0..15, LIF kinds only
    weight: np.ndarray | None = field(default=None, repr=False)  #: int64 (O,I,KH,KW) or (O,I)
    bias: np.ndarray | None = field(default=None, repr=False)  #: int64 (O,)
    theta: np.ndarray | None = field(default=None, repr=False)  #: int64 (O,), LIF kinds only

    @property
    def is_lif(self) -> bool:
        return self.kind in LIF_KINDS

    @property
    def is_conv(self) -> bool:
        return self.kind in CONV_KINDS

    @property
    def has_weights(self) -> bool:
        return self.kind != "spike_maxpool"

    def output_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape ``(C, H, W)`` or ``(F,)`` after this layer, given its input's."""
        if self.kind in ("lif_dense", "output_accumulate"):
            return (int(self.weight.shape[0]),)
        c, h, w = in_shape
        kh, kw = self.kernel
        sh, sw = self.stride
        top, left, bottom, right = self.pad
        oh = (h + top + bottom - kh) // sh + 1
        ow = (w + left + right - kw) // sw + 1
        out_c = c if self.kind == "spike_maxpool" else int(self.weight.shape[0])
        return (out_c, oh, ow)

    def manifest(self) -> dict:
        d: dict = {"name": self.name, "kind": self.kind}
        if self.kind in CONV_KINDS or self.kind == "spike_maxpool":
            d["kernel"] = list(self.kernel)
            d["stride"] = list(self.stride)
        if self.kind in CONV_KINDS:
            d["pad"] = list(self.pad)
        if self.is_lif:
            d["leak_shift"] = int(self.leak_shift)
        return d


@dataclass(frozen=True)
class IntNetwork:
    """A validated integer DIET-SNN."""

    T: int  #: timesteps, 1..16
    input_shape: tuple[int, int, int]  #: (C, H, W) of the image
    input_bits: int  #: bits of the unsigned image pixels
    layers: tuple[Layer, ...]  #: the chain, input_lif first, output_accumulate last
    weight_bits: int | None = None  #: signed weight width the network was trained with

    def __post_init__(self):
        _validate(self, "network")

    @property
    def num_classes(self) -> int:
        return int(self.layers[-1].weight.shape[0])

    def shapes(self) -> list[tuple[int, ...]]:
        """Input shape of every layer, then the output shape."""
        shapes = [tuple(self.input_shape)]
        for layer in self.layers:
            shapes.append(layer.output_shape(shapes[-1]))
        return shapes

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"no layer named {name!r}; layers are {[l.name for l in self.layers]}")

    def replace_T(self, T: int) -> "IntNetwork":
        return IntNetwork(T=T, input_shape=self.input_shape, input_bits=self.input_bits,
                          layers=self.layers, weight_bits=self.weight_bits)

    # ------------------------------------------------------------------ I/O
    def manifest(self) -> dict:
        m = {"format": FORMAT, "T": int(self.T),
             "input": {"shape": list(self.input_shape), "bits": int(self.input_bits)},
             "layers": [layer.manifest() for layer in self.layers]}
        if self.weight_bits is not None:
            m["weight_bits"] = int(self.weight_bits)
        return m

    def arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for layer in self.layers:
            if layer.has_weights:
                out[f"{layer.name}.weight"] = layer.weight
                out[f"{layer.name}.bias"] = layer.bias
            if layer.is_lif:
                out[f"{layer.name}.theta"] = layer.theta
        return out

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            np.savez_compressed(f, manifest=np.array(json.dumps(self.manifest())), **self.arrays())
        return path

    @classmethod
    def load(cls, path: str | Path) -> "IntNetwork":
        path = Path(path)
        if not path.is_file():
            raise NetFileError(f"{path}: no such network file (expected a .snn.npz from `dietsnn export`)")
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except Exception as e:  # noqa: BLE001 - any unreadable file is the same user error
            raise NetFileError(f"{path}: not a readable .npz archive ({e})") from e
        return from_arrays(arrays, source=str(path))


def _err(source: str, where: str, msg: str) -> NetFileError:
    return NetFileError(f"{source}: {where}: {msg}")


def _int_list(source, where, value, n, minimum):
    if (not isinstance(value, list) or len(value) != n
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise _err(source, where, f"expected a list of {n} integers, got {value!r}")
    if any(v < minimum for v in value):
        raise _err(source, where, f"expected every value >= {minimum}, got {value!r}")
    return tuple(value)


def _int_array(source, where, arrays, key, ndim):
    if key not in arrays:
        raise _err(source, where, f"missing array {key!r}")
    a = arrays[key]
    if a.dtype.kind not in "iu":
        raise _err(source, key, f"expected an integer array, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise _err(source, key, f"expected {ndim} dimensions, got shape {a.shape}")
    return a.astype(np.int64)


def from_arrays(arrays: dict[str, np.ndarray], source: str = "network") -> IntNetwork:
    """Build and validate an ``IntNetwork`` from the archive's arrays."""
    if "manifest" not in arrays:
        raise _err(source, "manifest", "missing key 'manifest' (the JSON description)")
    try:
        m = json.loads(str(arrays["manifest"]))
    except json.JSONDecodeError as e:
        raise _err(source, "manifest", f"not valid JSON ({e})") from e
    if not isinstance(m, dict):
        raise _err(source, "manifest", "expected a JSON object")
    if m.get("format") != FORMAT:
        raise _err(source, "manifest.format", f"expected {FORMAT!r}, got {m.get('format')!r}")
    for key in ("T", "input", "layers"):
        if key not in m:
            raise _err(source, f"manifest.{key}", "missing field")
    T = m["T"]
    if not isinstance(T, int) or isinstance(T, bool) or not 1 <= T <= MAX_T:
        raise _err(source, "manifest.T", f"expected an integer in 1..{MAX_T}, got {T!r}")
    inp = m["input"]
    if not isinstance(inp, dict) or "shape" not in inp or "bits" not in inp:
        raise _err(source, "manifest.input", "expected {'shape': [C, H, W], 'bits': B}")
    shape = _int_list(source, "manifest.input.shape", inp["shape"], 3, 1)
    bits = inp["bits"]
    if not isinstance(bits, int) or isinstance(bits, bool) or not 1 <= bits <= 16:
        raise _err(source, "manifest.input.bits", f"expected an integer in 1..16, got {bits!r}")
    wbits = m.get("weight_bits")
    if wbits is not None and (not isinstance(wbits, int) or not 2 <= wbits <= 16):
        raise _err(source, "manifest.weight_bits", f"expected an integer in 2..16, got {wbits!r}")
    if not isinstance(m["layers"], list) or not m["layers"]:
        raise _err(source, "manifest.layers", "expected a non-empty list")
    layers = []
    for i, d in enumerate(m["layers"]):
        where = f"manifest.layers[{i}]"
        if not isinstance(d, dict):
            raise _err(source, where, "expected an object")
        name, kind = d.get("name"), d.get("kind")
        if not isinstance(name, str) or not name:
            raise _err(source, f"{where}.name", f"expected a non-empty string, got {name!r}")
        where = f"{where} ({name})"
        if kind not in KINDS:
            raise _err(source, f"{where}.kind", f"expected one of {list(KINDS)}, got {kind!r}")
        kw: dict = {"name": name, "kind": kind}
        if kind in CONV_KINDS or kind == "spike_maxpool":
            for key in ("kernel", "stride"):
                if key not in d:
                    raise _err(source, f"{where}.{key}", "missing field")
                kw[key] = _int_list(source, f"{where}.{key}", d[key], 2, 1)
        if kind in CONV_KINDS:
            if "pad" not in d:
                raise _err(source, f"{where}.pad", "missing field")
            kw["pad"] = _int_list(source, f"{where}.pad", d["pad"], 4, 0)
        if kind in LIF_KINDS:
            if "leak_shift" not in d:
                raise _err(source, f"{where}.leak_shift", "missing field")
            k = d["leak_shift"]
            if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= 15:
                raise _err(source, f"{where}.leak_shift", f"expected an integer in 0..15, got {k!r}")
            kw["leak_shift"] = k
        if kind != "spike_maxpool":
            wdim = 4 if kind in CONV_KINDS else 2
            kw["weight"] = _int_array(source, where, arrays, f"{name}.weight", wdim)
            kw["bias"] = _int_array(source, where, arrays, f"{name}.bias", 1)
        if kind in LIF_KINDS:
            kw["theta"] = _int_array(source, where, arrays, f"{name}.theta", 1)
        layers.append(Layer(**kw))
    net = IntNetwork.__new__(IntNetwork)
    object.__setattr__(net, "T", T)
    object.__setattr__(net, "input_shape", shape)
    object.__setattr__(net, "input_bits", bits)
    object.__setattr__(net, "layers", tuple(layers))
    object.__setattr__(net, "weight_bits", wbits)
    _validate(net, source)
    return net


def _validate(net: IntNetwork, source: str) -> None:
    """Check the chain: kinds in order, names unique, shapes that connect."""
    names = [l.name for l in net.layers]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise _err(source, "manifest.layers", f"layer names must be unique, repeated: {sorted(dup)}")
    if net.layers[0].kind != "input_lif":
        raise _err(source, f"manifest.layers[0] ({names[0]}).kind",
                   f"the first layer must be 'input_lif', got {net.layers[0].kind!r}")
    if net.layers[-1].kind != "output_accumulate":
        raise _err(source, f"manifest.layers[{len(names) - 1}] ({names[-1]}).kind",
                   f"the last layer must be 'output_accumulate', got {net.layers[-1].kind!r}")
    shape = tuple(net.input_shape)
    for i, layer in enumerate(net.layers):
        where = f"manifest.layers[{i}] ({layer.name})"
        if i > 0 and layer.kind == "input_lif":
            raise _err(source, f"{where}.kind", "'input_lif' may only be the first layer")
        if i < len(names) - 1 and layer.kind == "output_accumulate":
            raise _err(source, f"{where}.kind", "'output_accumulate' may only be the last layer")
        if layer.kind in CONV_KINDS + ("spike_maxpool",) and len(shape) != 3:
            raise _err(source, f"{where}.kind", f"{layer.kind} needs a (C, H, W) input, the previous layer gives {shape}")
        if layer.has_weights:
            w, b = layer.weight, layer.bias
            o = w.shape[0]
            if layer.is_conv:
                if w.shape[1] != shape[0] or tuple(w.shape[2:]) != tuple(layer.kernel):
                    raise _err(source, f"{layer.name}.weight",
                               f"expected shape ({o}, {shape[0]}, {layer.kernel[0]}, {layer.kernel[1]}) "
                               f"for input {shape}, got {w.shape}")
            else:
                fan_in = int(np.prod(shape))
                if w.shape[1] != fan_in:
                    raise _err(source, f"{layer.name}.weight",
                               f"expected shape ({o}, {fan_in}) for input {shape}, got {w.shape}")
            if b.shape != (o,):
                raise _err(source, f"{layer.name}.bias", f"expected shape ({o},), got {b.shape}")
            if layer.is_lif:
                if layer.theta.shape != (o,):
                    raise _err(source, f"{layer.name}.theta", f"expected shape ({o},), got {layer.theta.shape}")
                if np.any(layer.theta <= 0):
                    raise _err(source, f"{layer.name}.theta", "expected positive integers in every channel")
            if net.weight_bits is not None:
                lim = 2 ** (net.weight_bits - 1)
                if w.size and (w.min() < -lim or w.max() > lim - 1):
                    raise _err(source, f"{layer.name}.weight",
                               f"values {w.min()}..{w.max()} exceed {net.weight_bits}-bit signed range")
        new_shape = layer.output_shape(shape)
        if any(s < 1 for s in new_shape):
            raise _err(source, where, f"does not fit its input {shape} (output would be {new_shape})")
        shape = new_shape


def network_id(path: str | Path) -> int:
    """The 32-bit identity of a network file: the first 4 bytes of its SHA-256, big-endian.

    The bitstream carries it (``dietsnn_accel``'s ``NETWORK_ID``), so the driver
    can tell a bitfile built for another network from the right one.
    """
    import hashlib

    return int.from_bytes(hashlib.sha256(Path(path).read_bytes()).digest()[:4], "big")
