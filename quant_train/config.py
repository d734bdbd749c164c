"""Typed, frozen training configs loaded from YAML; unknown keys are rejected."""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CONFIG_DIR = Path(__file__).parent / "configs"


class Dataset(str, enum.Enum):
    """Datasets the loaders know."""

    FMNIST = "fmnist"
    CIFAR10 = "cifar10"
    CIFAR100 = "cifar100"


class LayerKind(str, enum.Enum):
    """Topology entries: convolution, max-pool (spike OR in the SNN), dense."""

    CONV = "conv"
    POOL = "pool"
    DENSE = "dense"


@dataclass(frozen=True)
class LayerSpec:
    """One entry of the topology; the last ``dense`` is the output accumulator."""

    kind: LayerKind  #: conv, pool or dense
    out: int = 0  #: output channels (conv) or features (dense); unused for pool
    kernel: int = 3  #: square kernel size (conv, pool)
    stride: int = 0  #: stride (conv, pool); 0 = the default: 1 for conv, the kernel for pool
    pad: int = -1  #: symmetric zero padding (conv); -1 means kernel // 2
    dropout: float = 0.0  #: dropout before this layer (mask shared over timesteps)

    def __post_init__(self):
        object.__setattr__(self, "kind", LayerKind(self.kind))
        if self.kind != LayerKind.POOL and self.out < 1:
            raise ValueError(f"a {self.kind.value} layer needs out >= 1 (channels or features), not {self.out!r}")
        if self.kernel < 1:
            raise ValueError(f"kernel must be >= 1, not {self.kernel!r}")
        if self.stride < 0:
            raise ValueError(f"stride must be >= 1 (or 0 for the default), not {self.stride!r}")
        if self.stride == 0:
            object.__setattr__(self, "stride", self.kernel if self.kind == LayerKind.POOL else 1)
        if self.pad < -1:
            raise ValueError(f"pad must be >= 0 (or -1 for kernel // 2), not {self.pad!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), not {self.dropout!r}")


@dataclass(frozen=True)
class Config:
    """A DIET-SNN training run: data, topology, quantization, both phases."""

    name: str  #: config name, recorded in reports
    dataset: Dataset  #: which dataset loader to use
    layers: tuple[LayerSpec, ...]  #: topology, input to output
    data_dir: str | None = None  #: dataset folder; None uses the dataset's default location
    T: int = 5  #: timesteps (1..16)
    weight_bits: int = 4  #: signed weight width, 2..8, narrow range
    input_bits: int = 8  #: unsigned image pixel width
    per_channel_threshold: bool = True  #: integer thresholds per channel (per-layer float threshold / per-channel weight scale)
    batch_size: int = 128  #: per-process batch size
    ann_epochs: int = 15  #: epochs of the ANN twin
    ann_lr: float = 2e-3  #: Adam learning rate of the ANN twin (cosine schedule)
    act_bits: int = 4  #: QuantReLU width of the ANN twin
    snn_epochs: int = 10  #: epochs of DIET-SNN fine-tuning
    snn_lr: float = 3e-4  #: Adam learning rate of the weights in fine-tuning (cosine schedule)
    snn_param_lr: float = 5e-3  #: learning rate of leak and threshold parameters
    weight_decay: float = 1e-4  #: Adam weight decay (L2) on the ANN twin's parameters
    snn_weight_decay: float = 1e-4  #: Adam weight decay (L2) on the SNN's weights in fine-tuning
    percentile: float = 99.7  #: conversion threshold percentile of ANN pre-activations
    convert_batches: int = 8  #: training batches used for the percentile
    initial_leak_shift: float = 0.0  #: leak shift after conversion; 0 = no leak (IF), as converted
    surrogate_alpha: float = 0.3  #: height of the piecewise-linear surrogate gradient
    distill: float = 0.0  #: weight in [0, 1) of distillation from the ANN twin in fine-tuning; 0 = plain cross-entropy
    distill_temperature: float = 4.0  #: softmax temperature of that distillation
    augment: bool = True  #: random crop (pad 2) and horizontal flip
    seed: int = 0  #: random seed
    workers: int = 0  #: DataLoader workers

    def __post_init__(self):
        object.__setattr__(self, "dataset", Dataset(self.dataset))
        object.__setattr__(self, "layers", tuple(self.layers))
        if not 1 <= self.T <= 16:
            raise ValueError(f"T must be in 1..16, not {self.T!r}")
        if not 2 <= self.weight_bits <= 8:
            raise ValueError(f"weight_bits must be in 2..8, not {self.weight_bits!r}")
        if not 1 <= self.input_bits <= 8:
            raise ValueError(f"input_bits must be in 1..8 (images are uint8), not {self.input_bits!r}")
        if not 1 <= self.act_bits <= 8:
            raise ValueError(f"act_bits must be in 1..8, not {self.act_bits!r}")
        if not self.layers or self.layers[0].kind != LayerKind.CONV:
            raise ValueError("layers must start with a conv layer (the input LIF layer)")
        if self.layers[-1].kind != LayerKind.DENSE:
            raise ValueError("layers must end with a dense layer (the output accumulator)")
        for name in ("batch_size", "ann_epochs", "snn_epochs", "convert_batches"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, not {getattr(self, name)!r}")
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0, not {self.workers!r}")
        for name in ("ann_lr", "snn_lr", "snn_param_lr", "surrogate_alpha", "distill_temperature"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a finite number > 0, not {v!r}")
        for name in ("weight_decay", "snn_weight_decay"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, not {v!r}")
        if not 0.0 < self.percentile <= 100.0:
            raise ValueError(f"percentile must be in (0, 100], not {self.percentile!r}")
        if not (math.isfinite(self.distill) and 0.0 <= self.distill < 1.0):
            raise ValueError(f"distill must be in [0, 1) (the weight of the teacher's term), not {self.distill!r}")
        if not 0.0 <= self.initial_leak_shift <= 15.0:
            raise ValueError(f"initial_leak_shift must be in 0..15, not {self.initial_leak_shift!r}")

    def replace(self, **changes) -> "Config":
        """A copy with ``changes``, checked like a YAML file's values."""
        names = {f.name: f for f in dataclasses.fields(self)}
        for key, value in changes.items():
            if key not in names:
                raise ValueError(f"config: unknown key {key!r}; expected one of {sorted(names)}")
            if key not in ("layers", "dataset"):
                changes[key] = _typed(value, names[key].type, f"config.{key}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["dataset"] = self.dataset.value
        d["layers"] = [{**l, "kind": l["kind"].value} for l in d["layers"]]
        return d


_SCALARS = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "str | None": (str, type(None))}


def _typed(value, annotation: str, where: str):
    """``value`` checked against a field's annotation (YAML gives ints, floats, bools and strings)."""
    expected = _SCALARS.get(annotation)
    if expected is None:
        return value
    if isinstance(value, bool) and bool not in expected:  # YAML's `yes` is not a number
        ok = False
    else:
        ok = isinstance(value, expected)
    if not ok:
        raise ValueError(f"{where}: expected {annotation.replace(' | None', ' or null')}, "
                         f"got {type(value).__name__} {value!r}")
    return float(value) if annotation == "float" else value


def _build(cls, data: dict, where: str):
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(data).__name__}")
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(names)}")
    kw = {}
    for key, value in data.items():
        if key == "layers":
            if not isinstance(value, (list, tuple)):
                raise ValueError(f"{where}.layers: expected a list")
            value = tuple(_build(LayerSpec, v, f"{where}.layers[{i}]") for i, v in enumerate(value))
        elif key == "kind":
            try:
                value = LayerKind(value)
            except ValueError:
                raise ValueError(f"{where}.kind: expected one of {[k.value for k in LayerKind]}, not {value!r}") from None
        elif key == "dataset":
            try:
                value = Dataset(value)
            except ValueError:
                raise ValueError(f"{where}.dataset: expected one of {[d.value for d in Dataset]}, not {value!r}") from None
        else:
            value = _typed(value, names[key].type, f"{where}.{key}")
        kw[key] = value
    try:
        return cls(**kw)
    except TypeError as e:
        raise ValueError(f"{where}: {e}") from None
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None


def load_config(name_or_path: str | Path) -> Config:
    """Load a config by name (``fmnist``) or YAML path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = CONFIG_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))
        raise FileNotFoundError(f"config {str(name_or_path)!r} not found (looked at {path}); known configs: {known}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ValueError(f"{path}: not valid YAML: {' '.join(str(e).split())}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot read the config: {e}") from None
    return _build(Config, data, str(path))


def config_from_dict(data: dict, where: str = "config") -> Config:
    return _build(Config, data, where)
