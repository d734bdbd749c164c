"""The integer network file ``*.snn.npz`` of SPEC section 8.

``IntNetwork.load(path)`` validates everything a later stage relies on and
raises ``NetFileError`` naming the file and the field; ``save`` writes the same
format (atomically). Every value is bounded so that the golden model never
wraps: weights are read as signed integers whatever the file's integer dtype,
they fit ``weight_bits`` when the manifest names it, and every layer's SPEC
section 6 state bound stays below ``STATE_BOUND_CAP`` (2^62).

``IntNetwork.digest()`` is THE identity of a network: a SHA-256 of its content
(manifest and integer arrays), independent of the archive's zip metadata.
``network_id`` (the accelerator's ``NETWORK_ID``), the bitstream flow's reuse
check and ``predict --build`` all compare it. Numpy only: the board imports this.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .fsutil import atomic_file
from .vocab import (CONV_KINDS, LIF_KINDS, MAX_INPUT_BITS, MAX_LEAK_SHIFT, MAX_T, MAX_WEIGHT_BITS, MIN_INPUT_BITS,
                    MIN_LEAK_SHIFT, MIN_T, MIN_WEIGHT_BITS, STATE_BOUND_CAP, Kind)

FORMAT = "diet-snn-int/1"
KINDS = tuple(k.value for k in Kind)  #: the network file's kind strings (``dietsnn.vocab.Kind``)
_INT64_MAX = 2**63 - 1


class NetFileError(ValueError):
    """A ``.snn.npz`` file (or manifest) that breaks SPEC section 8."""


@dataclass(frozen=True)
class Layer:
    """One layer of the integer network (SPEC sections 1 and 8)."""

    name: str  #: unique layer name, the prefix of its arrays
    kind: Kind  #: the layer kind (a ``Kind``; its string is accepted and converted)
    kernel: tuple[int, int] = (1, 1)  #: (KH, KW) for convolutions and pooling
    stride: tuple[int, int] = (1, 1)  #: (SH, SW)
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)  #: [top, left, bottom, right]
    leak_shift: int = 0  #: k of ``leak_k``, 0..15, LIF kinds only
    weight: np.ndarray | None = field(default=None, repr=False)  #: int64 (O,I,KH,KW) or (O,I)
    bias: np.ndarray | None = field(default=None, repr=False)  #: int64 (O,)
    theta: np.ndarray | None = field(default=None, repr=False)  #: int64 (O,), LIF kinds only

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"layer {self.name}: kind must be one of {list(KINDS)}, not {self.kind!r}")
        object.__setattr__(self, "kind", Kind(self.kind))

    @property
    def is_lif(self) -> bool:
        return self.kind.is_lif

    @property
    def is_conv(self) -> bool:
        return self.kind.is_conv

    @property
    def has_weights(self) -> bool:
        return self.kind.has_weights

    def output_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape ``(C, H, W)`` or ``(F,)`` after this layer, given its input's."""
        if self.kind.is_dense:
            return (int(self.weight.shape[0]),)
        c, h, w = in_shape
        kh, kw = self.kernel
        sh, sw = self.stride
        top, left, bottom, right = self.pad
        oh = (h + top + bottom - kh) // sh + 1
        ow = (w + left + right - kw) // sw + 1
        out_c = c if self.kind is Kind.SPIKE_MAXPOOL else int(self.weight.shape[0])
        return (out_c, oh, ow)

    def manifest(self) -> dict:
        d: dict = {"name": self.name, "kind": self.kind.value}
        if self.kind.has_window:
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

    def max_input(self, layer: Layer) -> int:
        """Largest input value of ``layer``: the image's top pixel for the input layer, else 1 (a spike)."""
        return 2**self.input_bits - 1 if layer.kind is Kind.INPUT_LIF else 1

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"no layer named {name!r}; layers are {[l.name for l in self.layers]}")

    def digest(self) -> str:
        """The network's identity: SHA-256 (hex) of the manifest (sorted JSON) and every array as int64.

        Two files holding the same network have the same digest whatever their
        zip metadata or integer dtypes; ``T`` is part of the manifest, so the
        same weights at another ``T`` are another network.
        """
        h = hashlib.sha256(json.dumps(self.manifest(), sort_keys=True).encode())
        for key, arr in sorted(self.arrays().items()):
            h.update(key.encode() + b"\0" + np.ascontiguousarray(arr, dtype="<i8").tobytes())
        return h.hexdigest()

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
        """Write the ``.snn.npz`` file atomically (an interrupted save leaves the previous file intact)."""
        path = Path(path)
        with atomic_file(path, "wb") as f:
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
    """The array ``key`` as int64, read as signed values: an unsigned value above int64's range is an error,
    never a wrap to a negative number."""
    if key not in arrays:
        raise _err(source, where, f"missing array {key!r}")
    a = arrays[key]
    if a.dtype.kind not in "iu":
        raise _err(source, key, f"expected an integer array, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise _err(source, key, f"expected {ndim} dimensions, got shape {a.shape}")
    if a.dtype.kind == "u" and a.dtype.itemsize >= 8 and a.size and int(a.max()) > _INT64_MAX:
        raise _err(source, key, f"value {int(a.max())} (dtype {a.dtype}) exceeds the signed 64-bit range; "
                                "expected signed integers")
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
    if not isinstance(T, int) or isinstance(T, bool) or not MIN_T <= T <= MAX_T:
        raise _err(source, "manifest.T", f"expected an integer in {MIN_T}..{MAX_T}, got {T!r}")
    inp = m["input"]
    if not isinstance(inp, dict) or "shape" not in inp or "bits" not in inp:
        raise _err(source, "manifest.input", "expected {'shape': [C, H, W], 'bits': B}")
    shape = _int_list(source, "manifest.input.shape", inp["shape"], 3, 1)
    bits = inp["bits"]
    if not isinstance(bits, int) or isinstance(bits, bool) or not MIN_INPUT_BITS <= bits <= MAX_INPUT_BITS:
        raise _err(source, "manifest.input.bits",
                   f"expected an integer in {MIN_INPUT_BITS}..{MAX_INPUT_BITS}, got {bits!r}")
    wbits = m.get("weight_bits")
    if wbits is not None and (not isinstance(wbits, int) or isinstance(wbits, bool)
                              or not MIN_WEIGHT_BITS <= wbits <= MAX_WEIGHT_BITS):
        raise _err(source, "manifest.weight_bits",
                   f"expected an integer in {MIN_WEIGHT_BITS}..{MAX_WEIGHT_BITS}, got {wbits!r}")
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
        kind = Kind(kind)
        kw: dict = {"name": name, "kind": kind}
        if kind.has_window:
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
            if not isinstance(k, int) or isinstance(k, bool) or not MIN_LEAK_SHIFT <= k <= MAX_LEAK_SHIFT:
                raise _err(source, f"{where}.leak_shift",
                           f"expected an integer in {MIN_LEAK_SHIFT}..{MAX_LEAK_SHIFT}, got {k!r}")
            kw["leak_shift"] = k
        if kind.has_weights:
            wdim = 4 if kind.is_conv else 2
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
    if net.layers[0].kind is not Kind.INPUT_LIF:
        raise _err(source, f"manifest.layers[0] ({names[0]}).kind",
                   f"the first layer must be {Kind.INPUT_LIF.value!r}, got {net.layers[0].kind.value!r}")
    if net.layers[-1].kind is not Kind.OUTPUT_ACCUMULATE:
        raise _err(source, f"manifest.layers[{len(names) - 1}] ({names[-1]}).kind",
                   f"the last layer must be {Kind.OUTPUT_ACCUMULATE.value!r}, got {net.layers[-1].kind.value!r}")
    shape = tuple(net.input_shape)
    for i, layer in enumerate(net.layers):
        where = f"manifest.layers[{i}] ({layer.name})"
        if i > 0 and layer.kind is Kind.INPUT_LIF:
            raise _err(source, f"{where}.kind", f"{Kind.INPUT_LIF.value!r} may only be the first layer")
        if i < len(names) - 1 and layer.kind is Kind.OUTPUT_ACCUMULATE:
            raise _err(source, f"{where}.kind", f"{Kind.OUTPUT_ACCUMULATE.value!r} may only be the last layer")
        if layer.kind.has_window and len(shape) != 3:
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
                               f"values {w.min()}..{w.max()} exceed {net.weight_bits}-bit signed range "
                               f"{-lim}..{lim - 1} (manifest.weight_bits)")
            _check_state_bound(source, layer, net.max_input(layer), net.T)
        new_shape = layer.output_shape(shape)
        if any(s < 1 for s in new_shape):
            raise _err(source, where, f"does not fit its input {shape} (output would be {new_shape})")
        shape = new_shape


def _max_abs(a: np.ndarray) -> int:
    """``max |a|`` as an exact Python int (``np.abs`` of int64's minimum would wrap)."""
    return max(-int(a.min()), int(a.max())) if a.size else 0


def _max_row_abs_sum(w: np.ndarray) -> int:
    """``max over c of sum |W[c, :]|``, exact: int64 where it cannot overflow, Python ints otherwise."""
    w = w.reshape(w.shape[0], -1)
    if not w.size:
        return 0
    if _max_abs(w) * w.shape[1] <= _INT64_MAX:
        return int(np.abs(w).sum(axis=1).max())
    return max(sum(abs(int(v)) for v in row) for row in w)


def _check_state_bound(source: str, layer: Layer, max_input: int, T: int) -> None:
    """SPEC section 6's state bound of ``layer`` in exact integers, below ``STATE_BOUND_CAP``.

    ``|u| <= T * (A_max + max|b| + max theta) + max theta`` (LIF kinds) or
    ``|v| <= T * (A_max + max|b|)`` (``output_accumulate``), with
    ``A_max = max_c sum|W[c, :]| * max_input``. The error names the field
    with the largest term.
    """
    acc = _max_row_abs_sum(layer.weight) * max_input
    max_b = _max_abs(layer.bias)
    max_th = _max_abs(layer.theta) if layer.is_lif else 0
    bound = T * (acc + max_b + max_th) + max_th
    if bound < STATE_BOUND_CAP:
        return
    terms = {"weight": acc, "bias": max_b, "theta": max_th}
    field_ = max(terms, key=terms.get)
    formula = ("T * (A_max + max|b| + max theta) + max theta" if layer.is_lif else "T * (A_max + max|b|)")
    raise _err(source, f"{layer.name}.{field_}",
               f"the state bound {formula} = {bound} (T={T}, A_max = max_c sum|W| * {max_input} = {acc}, "
               f"max|b| = {max_b}" + (f", max theta = {max_th}" if layer.is_lif else "")
               + f") is not below the cap 2^62 = {STATE_BOUND_CAP} (SPEC section 6): the integer model "
               "would overflow; expected smaller values")


def network_id(network: "str | Path | IntNetwork") -> int:
    """The 32-bit identity of a network: the first 4 bytes of ``IntNetwork.digest()``, big-endian.

    ``network`` is an ``IntNetwork`` or the path of a network file (loaded and
    validated). The bitstream carries it (``dietsnn_accel``'s ``NETWORK_ID``),
    so the driver and ``predict --level rtl`` can tell hardware built for
    another network from the right one, whatever the file's zip metadata.
    """
    net = network if isinstance(network, IntNetwork) else IntNetwork.load(network)
    return int(net.digest()[:8], 16)
