"""ANN-to-SNN conversion: fold BatchNorm, set thresholds from the 99.7th percentile.

For weighted layer ``l`` with ANN pre-activations ``z_l``, ``lam_l`` is the
``percentile`` of its non-zero ReLU outputs over a few training batches
(``lam_0 = 1`` for the image). A spike of layer ``l - 1`` stands for the
activation ``lam_{l-1}``, so the SNN keeps the (folded) weights and uses the
threshold ``v_th_l = lam_l / lam_{l-1}`` and bias ``b_l / lam_{l-1}``; the
output layer's bias is divided the same way and its logits are multiplied back
by ``lam_{L-1}`` for the loss.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
import torch.nn as nn

from .config import Config
from .data import Split, batches
from .model import ANNTwin, DietSNN, SpikingConv, SpikingDense
from .neurons import NO_LEAK

log = logging.getLogger(__name__)

MAX_PERCENTILE_SAMPLES = 4_000_000


def fold_bn(weight: torch.Tensor, bn: nn.modules.batchnorm._BatchNorm):
    """``(W', b')`` with ``W' = W * g / sqrt(var + eps)`` per output channel, ``b' = beta - mean * g / sqrt(var + eps)``."""
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    shape = (-1,) + (1,) * (weight.dim() - 1)
    return weight.detach() * scale.reshape(shape), bn.bias.detach() - bn.running_mean * scale


def percentile_positive(values: list[torch.Tensor], q: float, seed: int = 0) -> float:
    """``q``-th percentile of the positive entries (the non-zero ReLU outputs), on any device."""
    v = torch.cat([t.flatten() for t in values])
    v = v[v > 0]
    if v.numel() == 0:
        raise ValueError("a layer never activates on the conversion batches; cannot set its threshold")
    if v.numel() > MAX_PERCENTILE_SAMPLES:
        g = torch.Generator().manual_seed(seed)
        v = v[torch.randint(0, v.numel(), (MAX_PERCENTILE_SAMPLES,), generator=g).to(v.device)]
    return float(np.percentile(v.double().cpu().numpy(), q))


@torch.no_grad()
def activation_percentiles(ann: ANNTwin, train: Split, cfg: Config) -> list[float]:
    """Per weighted hidden layer, the percentile of its ANN pre-activations."""
    ann.eval()
    device = next(ann.parameters()).device
    per_layer: list[list[torch.Tensor]] = []
    for i, (x, _) in enumerate(batches(train, cfg.batch_size, shuffle=True, seed=cfg.seed + 1)):
        if i >= cfg.convert_batches:
            break
        collect: list[torch.Tensor] = []
        ann(x.to(device), collect=collect)
        if not per_layer:
            per_layer = [[] for _ in collect]
        for store, z in zip(per_layer, collect):
            store.append(z)
    return [percentile_positive(z, cfg.percentile, cfg.seed) for z in per_layer]


@torch.no_grad()
def convert(ann: ANNTwin, train: Split, cfg: Config) -> tuple[DietSNN, list[float]]:
    """Build the DIET-SNN from a trained ANN twin, on the ANN's device. Returns ``(snn, lambdas)``."""
    snn = DietSNN(cfg, tuple(train.images.shape[1:])).to(next(ann.parameters()).device)
    lambdas = activation_percentiles(ann, train, cfg)
    prev, li = 1.0, 0
    weighted = [b for b in ann.blocks if not isinstance(b[0], nn.MaxPool2d)]
    snn_weighted = [l for l in snn.layers if isinstance(l, (SpikingConv, SpikingDense))]
    for block, layer in zip(weighted, snn_weighted):
        qlayer = next(m for m in block if hasattr(m, "quant_weight"))
        bn = next((m for m in block if isinstance(m, nn.modules.batchnorm._BatchNorm)), None)
        if bn is not None:
            w, b = fold_bn(qlayer.weight, bn)
        else:
            w, b = qlayer.weight.detach().clone(), qlayer.bias.detach().clone()
        layer.layer.weight.copy_(w)
        layer.layer.bias.copy_(b / prev)
        if layer.spiking:
            lam = lambdas[li]
            layer.v_th.fill_(lam / prev)
            layer.k_param.fill_(float(NO_LEAK) if cfg.initial_leak_shift == 0 else cfg.initial_leak_shift)
            log.info("convert %s: lambda %.4g, v_th %.4g", layer.kind, lam, lam / prev)
            prev, li = lam, li + 1
    snn.logit_scale.fill_(prev)
    return snn, lambdas
