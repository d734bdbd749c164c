"""Reports beside the checkpoint: ``network.snn.npz``, ``metrics.json`` and PNG plots."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch

from dietsnn.fsutil import atomic_path, atomic_write_text
from dietsnn.netfile import IntNetwork
from dietsnn.prune import prune_silent, silent_channels
from dietsnn.ref import run_network
from dietsnn.ref.energy import energy_report
from dietsnn.vocab import Kind

from .checkpoint import load_checkpoint
from .data import load_split
from .device import describe, exact_numerics, resolve_device
from .export import to_int_network
from .model import DietSNN
from .train import load_snn

log = logging.getLogger(__name__)

NETWORK_FILE = "network.snn.npz"


def export_run(run: str | Path) -> Path:
    """Write ``RUN/network.snn.npz`` from the trained SNN, its silent channels zeroed (``dietsnn.prune``)."""
    run = Path(run)
    with exact_numerics():
        net = to_int_network(load_snn(run))
    net, silent = prune_silent(net)
    for name, channels in silent.items():
        log.info("%s: channels %s can never spike; exported as weights 0, bias 0, threshold 1", name, channels)
    return net.save(run / NETWORK_FILE)


@torch.no_grad()
def torch_scores(snn: DietSNN, images: torch.Tensor, batch_size: int = 200,
                 device: torch.device | str = "cpu") -> np.ndarray:
    """Integer scores of the eval-mode PyTorch model on ``device``, int64 ``(N, classes)``, in exact numerics."""
    device = torch.device(device)
    snn.to(device).eval()
    with exact_numerics():
        out = [snn(images[i:i + batch_size].to(device)).cpu() for i in range(0, len(images), batch_size)]
    s = torch.cat(out).double().numpy() if out else np.zeros((0, snn.layers[-1].layer.out_features))
    r = np.rint(s)
    if not np.array_equal(s, r):
        raise AssertionError("eval-mode scores are not integers")  # internal invariant
    return r.astype(np.int64)


def _neurons(shape) -> int:
    return int(np.prod(shape))


def write_metrics(run: str | Path, split: str = "test", limit: int | None = None,
                  data_dir: str | None = None, device: str = "auto") -> dict:
    """Export, run the golden and the PyTorch model (on ``device``) on ``split``, write ``metrics.json`` and plots."""
    run = Path(run)
    cfg, st, _ = load_checkpoint(run)
    snn = load_snn(run)
    path = export_run(run)
    net = IntNetwork.load(path)
    data = load_split(cfg, split, data_dir).limit(limit)
    images, labels = data.images, data.labels.numpy()
    log.info("golden model on %d %s images", len(labels), split)
    golden = run_network(net, images.numpy(), count_synops=True)
    log.info("PyTorch eval-mode model on %d %s images", len(labels), split)
    dev = resolve_device(device)
    ts = torch_scores(snn, images, device=dev)
    same_scores = int((ts == golden.scores).all(axis=1).sum())
    same_pred = int((ts.argmax(1) == golden.pred).sum())
    shapes = net.shapes()
    layers = []
    for i, layer in enumerate(net.layers):
        entry = {"name": layer.name, "kind": layer.kind, "output_shape": list(shapes[i + 1])}
        if layer.kind is not Kind.OUTPUT_ACCUMULATE:
            entry["spike_rate"] = golden.spike_counts[layer.name] / (_neurons(shapes[i + 1]) * net.T * len(labels))
        if layer.is_lif:
            entry["silent_channels"] = np.flatnonzero(silent_channels(layer, net.max_input(layer), net.T)).tolist()
            entry.update(leak_shift=layer.leak_shift, leak=1.0 if layer.leak_shift == 0 else 1 - 2.0 ** -layer.leak_shift,
                         theta_min=int(layer.theta.min()), theta_max=int(layer.theta.max()),
                         theta_mean=float(layer.theta.mean()))
        layers.append(entry)
    vth = [float(l.v_th.detach()) for l in snn.layers if getattr(l, "spiking", False)]
    for entry, v in zip([e for e in layers if "leak_shift" in e], vth):
        entry["v_th_real"] = v
    metrics = {
        "config": cfg.name, "T": cfg.T, "weight_bits": cfg.weight_bits, "split": split, "images": len(labels),
        "trained_on": {"device": st.device, "processes": st.world}, "pytorch_eval_device": describe(dev),
        "ann_accuracy": st.ann_accuracy,
        "converted_snn_accuracy": st.converted_accuracy,
        "snn_accuracy": float((ts.argmax(1) == labels).mean()),
        "integer_accuracy": float((golden.pred == labels).mean()),
        "golden_agreement": {"images": len(labels), "identical_scores": same_scores, "identical_predictions": same_pred},
        "layers": layers,
        "energy": energy_report(net, golden.synops, len(labels)),
        "lambdas": st.lambdas,
        "train_seconds": st.train_seconds,
        "snn_train_images_per_s": st.snn_images_per_s,
        "history": st.history,
    }
    atomic_write_text(run / "metrics.json", json.dumps(metrics, indent=2))
    plot_metrics(run, metrics)
    log.info("integer accuracy %.4f; PyTorch == golden on %d/%d images", metrics["integer_accuracy"],
             same_scores, len(labels))
    return metrics


def plot_metrics(run: Path, metrics: dict) -> None:
    """``training_curves.png`` and ``spike_rates.png``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for phase, style in (("ann", "-"), ("snn", "--")):
        hist = metrics["history"].get(phase, [])
        if not hist:
            continue
        off = 0 if phase == "ann" else len(metrics["history"].get("ann", []))
        ep = [h["epoch"] + off for h in hist]
        axes[0].plot(ep, [h["loss"] for h in hist], style, label=f"{phase.upper()} train loss")
        axes[1].plot(ep, [h["train_acc"] for h in hist], style, label=f"{phase.upper()} train")
        axes[1].plot(ep, [h["test_acc"] for h in hist], style, marker="o", ms=3, label=f"{phase.upper()} test")
    axes[0].set_xlabel("epoch (ANN, then SNN)")
    axes[1].set_xlabel("epoch (ANN, then SNN)")
    axes[1].set_ylabel("accuracy")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{metrics['config']}: integer accuracy {metrics['integer_accuracy']:.4f} at T={metrics['T']}")
    fig.tight_layout()
    with atomic_path(run / "training_curves.png") as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)

    spiking = [l for l in metrics["layers"] if "spike_rate" in l]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar([l["name"] for l in spiking], [l["spike_rate"] for l in spiking], color="tab:orange")
    ax.set_ylabel("spikes per neuron per timestep")
    ax.set_title(f"Spike rate per layer ({metrics['images']} {metrics['split']} images)")
    fig.tight_layout()
    with atomic_path(run / "spike_rates.png") as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
