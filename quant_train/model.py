"""The ANN twin and the DIET-SNN, both built from one ``Config`` topology.

ANN twin: ``QuantConv2d`` (4-bit per-channel weights) -> BatchNorm -> 4-bit
``QuantReLU`` -> max-pool ... -> ``QuantLinear`` (per-tensor weights) logits.

DIET-SNN (after conversion, BatchNorm folded into weights and bias):
``InputLIF`` (the image drives the first convolution, computed once and
integrated ``T`` times) -> ``LIF`` conv/dense on spikes -> spike max-pool (OR)
-> ``OutputAccumulate``. Each layer keeps a per-layer learnable float threshold
``v_th`` and leak parameter; its integer thresholds (per output channel, since
weight scales are per channel), bias and leak shift are rounded in the
forward pass, so the eval-mode model *is* the integer network of SPEC.md.

The output layer uses a per-tensor weight scale so that the argmax of the
integer scores equals the argmax of the real-valued logits.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from brevitas.nn import QuantConv2d, QuantLinear, QuantReLU
from brevitas.quant import Int8WeightPerChannelFloat, Int8WeightPerTensorFloat

from dietsnn.vocab import Kind

from .config import Config, LayerKind, LayerSpec
from .neurons import NO_LEAK, exported_leak_shift, leak_shift_int, lif, pooled_size, round_ste, round_ste_, spike_pool

INPUT_SCALE = 1.0 / 255.0  # real value of one pixel step (input normalization lives in the folded BN)
FLOAT32_EXACT = 2**24  #: integers up to this magnitude are exact in float32 (SPEC section 6's cap for this level)


def _pad(spec: LayerSpec) -> int:
    return spec.kernel // 2 if spec.pad < 0 else spec.pad


def _hidden_quant(cfg: Config):
    """Per-channel weight scales give per-channel integer thresholds; per-tensor ones a single threshold per layer."""
    return Int8WeightPerChannelFloat if cfg.per_channel_threshold else Int8WeightPerTensorFloat


def _conv(cin: int, spec: LayerSpec, cfg: Config, bias: bool) -> QuantConv2d:
    return QuantConv2d(cin, spec.out, spec.kernel, stride=spec.stride, padding=_pad(spec), bias=bias,
                       weight_quant=_hidden_quant(cfg), weight_bit_width=cfg.weight_bits)


def _linear(fin: int, spec: LayerSpec, cfg: Config, bias: bool, output: bool) -> QuantLinear:
    quant = Int8WeightPerTensorFloat if output else _hidden_quant(cfg)
    return QuantLinear(fin, spec.out, bias=bias, weight_quant=quant, weight_bit_width=cfg.weight_bits)


def trace_shapes(cfg: Config, input_shape: tuple[int, int, int]) -> list[tuple[int, ...]]:
    """Input shape of each topology entry, then the output shape."""
    shapes = [tuple(input_shape)]
    for spec in cfg.layers:
        s = shapes[-1]
        if spec.kind == LayerKind.CONV:
            if len(s) != 3:
                raise ValueError("a conv layer cannot follow a dense layer")
            p = _pad(spec)
            h = (s[1] + 2 * p - spec.kernel) // spec.stride + 1
            w = (s[2] + 2 * p - spec.kernel) // spec.stride + 1
            shapes.append((spec.out, h, w))
        elif spec.kind == LayerKind.POOL:
            if len(s) != 3:
                raise ValueError("a pool layer cannot follow a dense layer")
            shapes.append((s[0], pooled_size(s[1], spec.kernel, spec.stride),
                           pooled_size(s[2], spec.kernel, spec.stride)))
        else:
            shapes.append((spec.out,))
        if any(v < 1 for v in shapes[-1]):
            raise ValueError(f"topology does not fit input {input_shape}: shape {shapes[-1]} after {spec}")
    return shapes


# ---------------------------------------------------------------- ANN twin
class ANNTwin(nn.Module):
    """Same topology as the SNN with ReLU; weights and activations quantized by Brevitas."""

    def __init__(self, cfg: Config, input_shape: tuple[int, int, int]):
        super().__init__()
        self.cfg = cfg
        self.input_shape = tuple(input_shape)
        shapes = trace_shapes(cfg, input_shape)
        self.blocks = nn.ModuleList()
        last = len(cfg.layers) - 1
        for i, spec in enumerate(cfg.layers):
            s = shapes[i]
            if spec.kind == LayerKind.CONV:
                mods = [_conv(s[0], spec, cfg, bias=False), nn.BatchNorm2d(spec.out),
                        QuantReLU(bit_width=cfg.act_bits)]
            elif spec.kind == LayerKind.POOL:
                mods = [nn.MaxPool2d(spec.kernel, spec.stride)]
            elif i == last:
                mods = [nn.Flatten(), nn.Dropout(spec.dropout), _linear(math.prod(s), spec, cfg, True, True)]
            else:
                mods = [nn.Flatten(), nn.Dropout(spec.dropout), _linear(math.prod(s), spec, cfg, False, False),
                        nn.BatchNorm1d(spec.out), QuantReLU(bit_width=cfg.act_bits)]
            self.blocks.append(nn.Sequential(*mods))

    def forward(self, images: torch.Tensor, collect: list | None = None) -> torch.Tensor:
        """uint8 images ``(N, C, H, W)`` -> logits. ``collect`` gets each layer's pre-activation."""
        x = images.float() * INPUT_SCALE
        for block in self.blocks:
            if collect is not None and isinstance(block[-1], QuantReLU):
                x = block[:-1](x)
                collect.append(x.detach())
                x = block[-1](x)
            else:
                x = block(x)
        return x


# ---------------------------------------------------------------- DIET-SNN
class _WeightedLIF(nn.Module):
    """Shared part of the weighted SNN layers: integer parameters from a Brevitas layer."""

    kind: str = ""
    layer: nn.Module

    def _init_lif(self, name: str, in_scale: float, max_input: int, alpha: float, spiking: bool):
        self.name = name  #: the layer's name in the exported network (conv1, fc2, ...)
        self.in_scale = in_scale  #: real value of one input unit (1/255 pixel, 1 spike)
        self.max_input = max_input  #: largest integer input (2**input_bits - 1 for the image, 1 for spikes)
        self.alpha = alpha
        self.spiking = spiking
        if spiking:
            self.v_th = nn.Parameter(torch.tensor(1.0))  #: per-layer threshold in real units
            self.k_param = nn.Parameter(torch.tensor(float(NO_LEAK)))  #: leak shift, 16 = no leak

    def acc_scale(self, qw=None) -> torch.Tensor:
        """Real value of one accumulator unit per output channel, ``(O,)`` (``qw``: the quantized weight, if known)."""
        qw = self.layer.quant_weight() if qw is None else qw
        s = qw.scale.detach().reshape(-1)
        return (s * self.in_scale).expand(self.layer.out_features if hasattr(self.layer, "out_features")
                                          else self.layer.out_channels)

    def int_params(self):
        """``(w_int, b_int, theta_int, k)`` with straight-through gradients; ``b_int``, ``theta_int``: ``(O,)``.

        Without gradients in eval mode they are computed once per version of the
        parameters (evaluation runs many batches with the same weights).
        """
        if self.training or torch.is_grad_enabled():
            self._int_cache = None
            return self._int_params()
        key = tuple((t.data_ptr(), t._version, t.device) for t in (*self.parameters(), *self.buffers()))
        cache = getattr(self, "_int_cache", None)
        if cache is None or cache[0] != key:
            cache = (key, self._int_params())
            self._int_cache = cache
        return cache[1]

    def _int_params(self):
        qw = self.layer.quant_weight()
        w_int = round_ste(qw.value / qw.scale.detach())
        s_acc = self.acc_scale(qw)
        b = self.layer.bias if self.layer.bias is not None else torch.zeros_like(s_acc)
        b_int = round_ste(b / s_acc)
        if not self.spiking:
            return w_int, b_int, None, None
        theta_int = torch.clamp(round_ste(self.v_th / s_acc), min=1.0)
        return w_int, b_int, theta_int, leak_shift_int(self.k_param)

    def export_leak_shift(self) -> int:
        return exported_leak_shift(self.k_param)

    def check_exact(self, w: torch.Tensor, b: torch.Tensor, th: torch.Tensor | None, T: int) -> None:
        """Refuse a layer whose SPEC section 6 state bound float32 cannot carry exactly."""
        cache = getattr(self, "_int_cache", None)
        if cache is not None and cache[1][0] is w and getattr(self, "_checked", None) == (cache[0], T):
            return  # these very parameters passed already
        with torch.no_grad():
            acc = int(w.detach().abs().double().flatten(1).sum(1).max()) * self.max_input
            max_b = int(b.detach().abs().max())
            max_th = int(th.detach().max()) if th is not None else 0
        state = T * (acc + max_b) if th is None else T * (acc + max_b + max_th) + max_th
        if state > FLOAT32_EXACT:
            raise ValueError(f"{self.name}: state bound {state} exceeds the PyTorch model's cap 2^24 = "
                             f"{FLOAT32_EXACT} (integers in float32); it cannot compute this network exactly")
        if cache is not None and cache[1][0] is w:
            self._checked = (cache[0], T)


class SpikingConv(_WeightedLIF):
    """``InputLIF`` (image in, product computed once) or ``LIF`` conv (spikes in).

    Activations are channels-last in memory (faster convolutions on CPUs and
    GPUs; the C kernel's layout), in PyTorch's logical ``(N, C, H, W)`` order.
    """

    def __init__(self, name: str, conv: QuantConv2d, is_input: bool, input_bits: int, alpha: float):
        super().__init__()
        self.layer = conv
        self.kind = Kind.INPUT_LIF if is_input else Kind.LIF_CONV
        self._init_lif(name, INPUT_SCALE if is_input else 1.0, 2**input_bits - 1 if is_input else 1, alpha, True)

    def current(self, x: torch.Tensor, w_int: torch.Tensor) -> torch.Tensor:
        c = self.layer
        x = x.contiguous(memory_format=torch.channels_last)
        a = F.conv2d(x, w_int.contiguous(memory_format=torch.channels_last), None, c.stride, c.padding)
        return round_ste_(a)  # exact already unless an algorithm (Winograd, FFT, TF32) rounded: undo that

    def forward(self, x: torch.Tensor, T: int, pool: tuple[int, int] | None = None) -> torch.Tensor:
        """``pool = (kernel, stride)``: the OR-pool that follows, fused into the LIF on CPUs."""
        w, b, th, k = self.int_params()
        if not self.training:
            self.check_exact(w, b, th, T)
        if self.kind is Kind.INPUT_LIF:
            a = self.current(x, w)  # (N, O, H, W), once per image, integrated T times
            return lif(a, b, th, k, self.alpha, T=T, pool=pool)
        t, n = x.shape[:2]
        a = self.current(x.flatten(0, 1), w)  # (T*N, C, H, W) -> (T*N, O, H', W')
        return lif(a.unflatten(0, (t, n)), b, th, k, self.alpha, pool=pool)


class SpikingDense(_WeightedLIF):
    """``LIF`` dense on spikes, or the non-spiking ``OutputAccumulate``."""

    def __init__(self, name: str, linear: QuantLinear, output: bool, alpha: float, dropout: float):
        super().__init__()
        self.layer = linear
        self.kind = Kind.OUTPUT_ACCUMULATE if output else Kind.LIF_DENSE
        self.dropout = dropout
        self._init_lif(name, 1.0, 1, alpha, spiking=not output)

    def forward(self, x: torch.Tensor, T: int) -> torch.Tensor:
        w, b, th, k = self.int_params()
        if not self.training:
            self.check_exact(w, b, th, T)
        if x.dim() == 5:  # conv spikes, channels-last in memory: read them in (H, W, C) order and reorder
            t, n, c, h, wd = x.shape  # the weight's (C, H, W) columns instead (fewer bytes than the spikes)
            x = x.permute(0, 1, 3, 4, 2).reshape(t, n, h * wd * c)  # (T, N, C, H, W) -> (T, N, H*W*C)
            w = w.reshape(-1, c, h, wd).permute(0, 2, 3, 1).reshape(w.shape[0], -1)
        else:
            x = x.flatten(2)  # (T, N, F)
        if self.training and self.dropout > 0:
            keep = torch.rand_like(x[0]) >= self.dropout  # one mask for all timesteps
            x = x * (keep.to(x.dtype) / (1 - self.dropout))
        a = round_ste_(F.linear(x, w))  # (T, N, O)
        if self.kind is Kind.OUTPUT_ACCUMULATE:
            return a.sum(0) + a.shape[0] * b  # (N, O) integer scores
        return lif(a, b, th, k, self.alpha)


class SpikePool(nn.Module):
    """Spike max-pooling: OR of the window at each timestep (fused into the LIF layer before it)."""

    kind = Kind.SPIKE_MAXPOOL

    def __init__(self, name: str, kernel: int, stride: int):
        super().__init__()
        self.name = name
        self.kernel = kernel
        self.stride = stride

    def forward(self, x: torch.Tensor, T: int) -> torch.Tensor:
        t, n = x.shape[:2]
        return spike_pool(x.flatten(0, 1), self.kernel, self.stride).unflatten(0, (t, n))


class DietSNN(nn.Module):
    """DIET-SNN whose eval-mode forward is the integer network of SPEC.md."""

    def __init__(self, cfg: Config, input_shape: tuple[int, int, int]):
        super().__init__()
        self.cfg = cfg
        self.T = cfg.T
        self.input_shape = tuple(input_shape)
        shapes = trace_shapes(cfg, input_shape)
        self.layers = nn.ModuleList()
        last = len(cfg.layers) - 1
        count = {LayerKind.CONV: 0, LayerKind.POOL: 0, LayerKind.DENSE: 0}
        for i, spec in enumerate(cfg.layers):
            s = shapes[i]
            count[spec.kind] += 1
            if spec.kind == LayerKind.CONV:
                self.layers.append(SpikingConv(f"conv{count[spec.kind]}", _conv(s[0], spec, cfg, bias=True), i == 0,
                                               cfg.input_bits, cfg.surrogate_alpha))
            elif spec.kind == LayerKind.POOL:
                self.layers.append(SpikePool(f"pool{count[spec.kind]}", spec.kernel, spec.stride))
            else:
                lin = _linear(math.prod(s), spec, cfg, True, output=(i == last))
                self.layers.append(SpikingDense(f"fc{count[spec.kind]}", lin, i == last, cfg.surrogate_alpha,
                                                spec.dropout))
        #: multiplies the mean per-step real-valued score into logits for the loss (set at conversion)
        self.register_buffer("logit_scale", torch.tensor(1.0))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images ``(N, C, H, W)`` -> integer scores ``(N, classes)`` (float32 holding integers)."""
        x = images.float()  # integer pixels 0..255
        layers = list(self.layers)
        i = 0
        while i < len(layers):
            layer = layers[i]
            after = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(layer, SpikingConv) and isinstance(after, SpikePool):
                x = layer(x, self.T, pool=(after.kernel, after.stride))  # LIF and OR-pool in one pass
                i += 2
            else:
                x = layer(x, self.T)
                i += 1
        return x

    def logits(self, scores: torch.Tensor) -> torch.Tensor:
        """Real-valued logits for the loss: mean per-step score times the output scale."""
        out = self.layers[-1]
        return scores * out.acc_scale()[0] * self.logit_scale / self.T

    def lif_parameters(self):
        return [p for n, p in self.named_parameters() if n.endswith("v_th") or n.endswith("k_param")]

    def weight_parameters(self):
        return [p for n, p in self.named_parameters() if not (n.endswith("v_th") or n.endswith("k_param"))]
