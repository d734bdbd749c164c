"""SNN training throughput: this project's DIET-SNN against snnTorch's ``Leaky``.

Same topology, ``T``, batch size and machine; snnTorch runs the usual way (the
whole network once per timestep, the first convolution recomputed every
step), with float layers (no quantization overhead, which favours it).
Images/s over ``steps`` optimizer steps after ``warmup`` steps.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from dietsnn.vocab import Kind
from quant_train.config import Config, LayerKind
from quant_train.model import DietSNN, trace_shapes


class SnnTorchNet(nn.Module):
    def __init__(self, cfg: Config, input_shape):
        import snntorch as snn
        from snntorch import surrogate

        super().__init__()
        self.T = cfg.T
        shapes = trace_shapes(cfg, input_shape)
        self.mods = nn.ModuleList()
        self.lifs = nn.ModuleList()
        grad = surrogate.triangular()
        last = len(cfg.layers) - 1
        for i, spec in enumerate(cfg.layers):
            s = shapes[i]
            if spec.kind == LayerKind.CONV:
                pad = spec.kernel // 2 if spec.pad < 0 else spec.pad
                self.mods.append(nn.Conv2d(s[0], spec.out, spec.kernel, spec.stride, pad))
            elif spec.kind == LayerKind.POOL:
                self.mods.append(nn.MaxPool2d(spec.kernel))
            else:
                self.mods.append(nn.Sequential(nn.Flatten(), nn.Linear(math.prod(s), spec.out)))
            spiking = spec.kind != LayerKind.POOL and i != last
            self.lifs.append(snn.Leaky(beta=0.95, threshold=1.0, spike_grad=grad, reset_mechanism="subtract")
                             if spiking else nn.Identity())

    def forward(self, x):
        x = x.float() / 255.0
        mems = [lif.init_leaky() if not isinstance(lif, nn.Identity) else None for lif in self.lifs]
        out = 0
        for _ in range(self.T):
            h = x
            for j, (mod, lif) in enumerate(zip(self.mods, self.lifs)):
                h = mod(h)
                if mems[j] is not None:
                    h, mems[j] = lif(h, mems[j])
            out = out + h
        return out / self.T


def _throughput(model, logits_fn, x, y, steps: int, warmup: int) -> float:
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    for i in range(warmup + steps):
        if i == warmup:
            t0 = time.perf_counter()
        loss = F.cross_entropy(logits_fn(model(x)), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return steps * len(y) / (time.perf_counter() - t0)


def compare(cfg: Config, input_shape=(1, 28, 28), steps: int = 10, warmup: int = 2, seed: int = 0) -> dict:
    torch.manual_seed(seed)
    x = torch.randint(0, 256, (cfg.batch_size, *input_shape), dtype=torch.uint8)
    y = torch.randint(0, 10, (cfg.batch_size,))
    ours = DietSNN(cfg, input_shape).train()
    for layer in ours.layers:  # thresholds in a realistic range so that layers spike
        if getattr(layer, "spiking", False):
            layer.v_th.data.fill_(0.5 if layer.kind is Kind.INPUT_LIF else 1.5)
    ref = SnnTorchNet(cfg, input_shape).train()
    ours_ips = _throughput(ours, ours.logits, x, y, steps, warmup)
    ref_ips = _throughput(ref, lambda s: s, x, y, steps, warmup)
    return {"T": cfg.T, "batch": cfg.batch_size, "steps": steps, "threads": torch.get_num_threads(),
            "dietsnn_images_per_s": ours_ips, "snntorch_images_per_s": ref_ips, "speedup": ours_ips / ref_ips}


if __name__ == "__main__":
    import json
    import sys

    from quant_train.config import load_config

    print(json.dumps(compare(load_config(sys.argv[1] if len(sys.argv) > 1 else "fmnist")), indent=2))
