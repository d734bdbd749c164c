"""Devices: --device resolution, exact numerics switched on and restored, and the same network.snn.npz
and integer scores whichever process, thread count or LIF path exports and evaluates a trained run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dietsnn.netfile import IntNetwork
from dietsnn.ref import run_network
from quant_train.config import load_config
from quant_train.data import load_split
from quant_train.device import exact_numerics, resolve_device
from quant_train.report import NETWORK_FILE, export_run, torch_scores
from quant_train.train import load_snn, train

ROOT = Path(__file__).resolve().parents[2]


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    for bad in ("gpu", "cuda:x", "", "CPU"):
        with pytest.raises(ValueError, match=r"^--device must be one of auto, cpu, cuda or cuda:N, not "):
            resolve_device(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_says_so():
    with pytest.raises(ValueError, match=r"^--device cuda: no CUDA device is available .*use --device cpu or auto$"):
        resolve_device("cuda")


def test_exact_numerics_switches_off_tf32_and_restores():
    before = torch.are_deterministic_algorithms_enabled()
    with exact_numerics():
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        assert not torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction
        if hasattr(torch.backends.cuda.matmul, "fp32_precision"):
            assert torch.backends.cuda.matmul.fp32_precision == "ieee"
            assert torch.backends.cudnn.conv.fp32_precision == "ieee"
        else:
            assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
    assert torch.are_deterministic_algorithms_enabled() == before
    assert not torch.backends.cudnn.deterministic
    if hasattr(torch.backends.cudnn.conv, "fp32_precision"):
        assert torch.backends.cudnn.conv.fp32_precision == "tf32"  # PyTorch's default again


_EXPORT = """
import json, sys, torch
from quant_train.report import export_run, torch_scores
from quant_train.train import load_snn
from quant_train.data import load_split
from quant_train.checkpoint import load_checkpoint
from quant_train.neurons import uses_c_kernel
from dietsnn.netfile import IntNetwork
torch.set_num_threads(1)
run, data = sys.argv[1], sys.argv[2]
path = export_run(run)
cfg = load_checkpoint(run)[0]
images = load_split(cfg, "test", data).images
print(json.dumps({"digest": IntNetwork.load(path).digest(), "c_kernel": uses_c_kernel(torch.zeros(1)),
                  "scores": torch_scores(load_snn(run), images).tolist()}))
"""


def test_trained_here_exported_elsewhere_gives_the_same_network(tmp_path, cifar_root):
    """Train with the C kernel on 2 threads; export and evaluate in another process with the vectorized
    PyTorch LIF on 1 thread: the same network file (content digest) and the golden's scores."""
    run = tmp_path / "run"
    cfg = load_config("cifar10_cnv").replace(ann_epochs=1, snn_epochs=1, batch_size=4, convert_batches=1)
    torch.set_num_threads(2)
    train(cfg, run, limit_train=8, data_dir=str(cifar_root), device="cpu")
    here = IntNetwork.load(export_run(run))
    env = {**os.environ, "DIETSNN_NO_CKERNEL": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _EXPORT, str(run), str(cifar_root)], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    there = json.loads(out.stdout.strip().splitlines()[-1])
    assert there["c_kernel"] is False and there["digest"] == here.digest()
    images = load_split(cfg, "test", str(cifar_root)).images
    golden = run_network(here, images.numpy()).scores
    assert np.array_equal(np.array(there["scores"]), golden)
    assert np.array_equal(torch_scores(load_snn(run), images), golden)  # C kernel, this process


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_eval_equals_the_golden_on_the_whole_fmnist_test_set():
    """The shipped model on a GPU, in exact numerics: the golden's integer scores on all 10,000 images."""
    run = ROOT / "models" / "fmnist"
    images = load_split(load_config("fmnist"), "test").images
    net = IntNetwork.load(run / NETWORK_FILE)
    gpu = torch_scores(load_snn(run), images, batch_size=1000, device="cuda")
    assert np.array_equal(gpu, run_network(net, images.numpy()).scores)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_trained_on_gpu_exported_on_cpu_gives_the_gpu_scores(tmp_path, cifar_root):
    cfg = load_config("cifar10_cnv").replace(ann_epochs=1, snn_epochs=1, batch_size=4, convert_batches=1)
    st = train(cfg, tmp_path, limit_train=8, data_dir=str(cifar_root), device="cuda")
    assert st.device == "cuda"
    net = IntNetwork.load(export_run(tmp_path))  # on the CPU
    images = load_split(cfg, "test", str(cifar_root)).images
    gpu = torch_scores(load_snn(tmp_path), images, device="cuda")
    assert np.array_equal(gpu, run_network(net, images.numpy()).scores)
