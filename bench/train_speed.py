"""SNN training throughput: this project's DIET-SNN against snnTorch's ``Leaky``.

Same topology, ``T``, batch size and device; snnTorch runs the usual way (the
whole network once per timestep, the first convolution recomputed every
step, PyTorch's default memory format), with float layers (no quantization
overhead, which favours it). Both are timed in alternating rounds of
``steps`` optimizer steps after ``warmup`` steps each, so that a machine
shared with other jobs slows both alike; the result keeps every round, the
median ratio, and the load average around the measurement. On the CPU the
process CPU time is recorded too (less sensitive to other jobs than the wall
clock); on a GPU the wall clock with ``cuda.synchronize``.

    python -m bench.train_speed [--config fmnist] [--device cpu|cuda|auto]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from quant_train.config import Config, Dataset, LayerKind, load_config
from quant_train.device import describe, resolve_device
from quant_train.model import DietSNN, trace_shapes

INPUT_SHAPES = {Dataset.FMNIST: (1, 28, 28), Dataset.CIFAR10: (3, 32, 32), Dataset.CIFAR100: (3, 32, 32)}


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
                self.mods.append(nn.MaxPool2d(spec.kernel, spec.stride))
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


class _Runner:
    """One model, its optimizer and its loss, timed ``steps`` optimizer steps at a time."""

    def __init__(self, model, logits, x, y, device):
        self.model, self.logits, self.x, self.y, self.device = model, logits, x, y, device
        self.opt = torch.optim.Adam(model.parameters(), 1e-4)

    def steps(self, n: int) -> tuple[float, float]:
        """``(wall seconds, process CPU seconds)`` of ``n`` steps."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            loss = F.cross_entropy(self.logits(self.model(self.x)), self.y)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter() - t0, time.process_time() - c0


def compare(cfg: Config, input_shape=None, device: str = "cpu", steps: int = 3, repeats: int = 6,
            warmup: int = 2, seed: int = 0, threads: int | None = None) -> dict:
    """Images/s of both, in alternating rounds; ``speedup`` is the median of the per-round ratios.

    ``threads``: CPU threads for both (default: PyTorch's, restored afterwards).
    """
    prev = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _compare(cfg, input_shape, device, steps, repeats, warmup, seed)
    finally:
        torch.set_num_threads(prev)


def _compare(cfg, input_shape, device, steps, repeats, warmup, seed) -> dict:
    import snntorch

    dev = resolve_device(device)
    shape = tuple(input_shape or INPUT_SHAPES[cfg.dataset])
    torch.manual_seed(seed)
    x = torch.randint(0, 256, (cfg.batch_size, *shape), dtype=torch.uint8, device=dev)
    y = torch.randint(0, cfg.layers[-1].out, (cfg.batch_size,), device=dev)
    ours = DietSNN(cfg, shape).to(dev).train()
    for layer in ours.layers:  # thresholds in a realistic range so that layers spike
        if getattr(layer, "spiking", False):
            layer.v_th.data.fill_(0.5 if layer.kind == "input_lif" else 1.5)
    ref = SnnTorchNet(cfg, shape).to(dev).train()
    runners = {"dietsnn": _Runner(ours, ours.logits, x, y, dev), "snntorch": _Runner(ref, lambda s: s, x, y, dev)}
    for r in runners.values():
        r.steps(warmup)
    load_before = os.getloadavg()
    rounds = []
    for i in range(repeats):
        entry = {}
        for name in (("dietsnn", "snntorch") if i % 2 == 0 else ("snntorch", "dietsnn")):
            wall, cpu = runners[name].steps(steps)
            entry[name] = {"images_per_s": steps * len(y) / wall, "images_per_cpu_s": steps * len(y) / cpu}
        entry["ratio"] = entry["dietsnn"]["images_per_s"] / entry["snntorch"]["images_per_s"]
        entry["cpu_time_ratio"] = entry["dietsnn"]["images_per_cpu_s"] / entry["snntorch"]["images_per_cpu_s"]
        rounds.append(entry)
    load_after = os.getloadavg()
    med = {n: statistics.median(r[n]["images_per_s"] for r in rounds) for n in runners}
    result = {
        "device": describe(dev), "device_type": dev.type, "config": cfg.name, "T": cfg.T, "batch": cfg.batch_size,
        "input_shape": list(shape), "steps_per_round": steps, "rounds": rounds, "threads": torch.get_num_threads(),
        "dietsnn_images_per_s": med["dietsnn"], "snntorch_images_per_s": med["snntorch"],
        "speedup": statistics.median(r["ratio"] for r in rounds),
        "snntorch_version": snntorch.__version__, "torch": torch.__version__,
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "cpus": os.cpu_count(),
    }
    if dev.type == "cpu":
        result["cpu_time_speedup"] = statistics.median(r["cpu_time_ratio"] for r in rounds)
        result["machine_loaded"] = max(load_before[0], load_after[0]) > (os.cpu_count() or 1)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="fmnist")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=6)
    ap.add_argument("--threads", type=int, help="CPU threads (default: PyTorch's)")
    a = ap.parse_args(argv)
    print(json.dumps(compare(load_config(a.config), device=a.device, steps=a.steps, repeats=a.repeats,
                             threads=a.threads), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
