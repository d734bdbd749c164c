"""Where training runs (``--device auto|cpu|cuda``) and the numerics that keep evaluation exact.

The eval-mode DIET-SNN carries integers in float32: a sum of integer
products is exact below 2**24 whatever the order, but only if every product
and partial sum is computed in IEEE float32. TF32 tensor cores (10-bit
mantissa inputs), reduced-precision reductions and algorithms such as FFT or
Winograd convolutions break that; ``exact_numerics()`` switches them off (and
turns on deterministic algorithms) for evaluation and export. Training keeps
PyTorch's defaults: its forward pass rounds every product back to an integer
(``round_ste_``), and the gradients need not be exact.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import torch

# cuBLAS is deterministic only with a fixed workspace; read when CUDA starts, so set before any CUDA call.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` (CUDA when present), ``cpu``, ``cuda`` (the process's local GPU under torchrun) or ``cuda:N``."""
    if not isinstance(name, str) or not (name in DEVICES or (name.startswith("cuda:") and name[5:].isdigit())):
        raise ValueError(f"--device must be one of {', '.join(DEVICES)} or cuda:N, not {name!r}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError(f"--device {name}: no CUDA device is available (PyTorch {torch.__version__}, built for CUDA "
                         f"{torch.version.cuda or 'none'}); use --device cpu or auto")
    index = local_rank if name == "cuda" else int(name[5:])
    count = torch.cuda.device_count()
    if index >= count:
        raise ValueError(f"--device {name}: GPU {index} requested (local rank {local_rank}) but only {count} "
                         f"visible; start at most {count} processes per node")
    return torch.device("cuda", index)


def describe(device: torch.device) -> str:
    """``cpu (N threads)`` or the GPU's name, for logs and benchmark records."""
    if device.type == "cuda":
        return f"cuda:{device.index or 0} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def _knobs() -> list[tuple[object, str, object]]:
    """``(holder, attribute, exact value)`` of every float32-precision switch this PyTorch has."""
    b = torch.backends
    if hasattr(b.cuda.matmul, "fp32_precision"):  # PyTorch >= 2.9: per backend and op; never mix with allow_tf32
        knobs = [(b.cuda.matmul, "fp32_precision", "ieee"), (b.cudnn.conv, "fp32_precision", "ieee"),
                 (b.cudnn.rnn, "fp32_precision", "ieee")]
        knobs += [(getattr(b.mkldnn, op), "fp32_precision", "ieee") for op in ("matmul", "conv", "rnn")
                  if hasattr(b.mkldnn, op)]
    else:
        knobs = [(b.cuda.matmul, "allow_tf32", False), (b.cudnn, "allow_tf32", False)]
    knobs += [(b.cuda.matmul, "allow_fp16_reduced_precision_reduction", False),
              (b.cuda.matmul, "allow_bf16_reduced_precision_reduction", False),
              (b.cudnn, "deterministic", True), (b.cudnn, "benchmark", False)]
    return knobs


@contextmanager
def exact_numerics():
    """IEEE float32 everywhere and deterministic algorithms, restored afterwards."""
    knobs = _knobs()
    saved = [getattr(holder, attr) for holder, attr, _ in knobs]
    deterministic = (torch.are_deterministic_algorithms_enabled(),
                     torch.is_deterministic_algorithms_warn_only_enabled())
    try:
        for holder, attr, value in knobs:
            setattr(holder, attr, value)
        torch.use_deterministic_algorithms(True)
        yield
    finally:
        for (holder, attr, _), value in zip(knobs, saved):
            setattr(holder, attr, value)
        torch.use_deterministic_algorithms(deterministic[0], warn_only=deterministic[1])
