"""The PyTorch LIF: forward equals the integer reference; hand-written BPTT equals autograd."""

import numpy as np
import pytest
import torch

from dietsnn.ref.lif import lif_sequence
from quant_train import ckernel
from quant_train.neurons import NO_LEAK, LIFFunction, leak_shift_int, lif, lif_autograd, spike_pool


def _k(k_spec):
    return torch.tensor(float(NO_LEAK if k_spec == 0 else k_spec))


@pytest.mark.parametrize("k", [0, 1, 3, 15])
@pytest.mark.parametrize("repeat", [False, True])
def test_forward_equals_integer_reference(k, repeat):
    g = torch.Generator().manual_seed(k)
    T = 6
    shape = (3, 4, 5, 5)
    cur = torch.randint(-60, 90, shape if repeat else (T, *shape), generator=g).float()
    bias = torch.randint(-9, 10, (1, 4, 1, 1), generator=g).float()
    theta = torch.randint(5, 40, (1, 4, 1, 1), generator=g).float()
    spikes = lif(cur, bias, theta, leak_shift_int(_k(k)), 0.3, T=T if repeat else None)
    a = cur.long().numpy()
    if repeat:
        a = np.broadcast_to(a, (T, *shape))
    ref, _ = lif_sequence(a, bias.long().flatten().numpy(), theta.long().flatten().numpy(), k)
    assert np.array_equal(spikes.numpy().astype(np.uint8), ref)


@pytest.mark.parametrize("use_c", [True, False])
@pytest.mark.parametrize("k", [3.0, 16.0])
@pytest.mark.parametrize("repeat", [False, True])
def test_bptt_gradients_equal_autograd(monkeypatch, use_c, k, repeat):
    if not use_c:
        monkeypatch.setenv("DIETSNN_NO_CKERNEL", "1")
        ckernel.load.cache_clear()
    try:
        g = torch.Generator().manual_seed(7)
        T = 5
        shape = (4, 3, 2, 2)
        cur = torch.randint(-20, 40, shape if repeat else (T, *shape), generator=g).float().requires_grad_()
        b = torch.randint(-5, 5, (1, 3, 1, 1), generator=g).float().requires_grad_()
        th = torch.randint(10, 30, (1, 3, 1, 1), generator=g).float().requires_grad_()
        kp = torch.tensor(k, requires_grad=True)
        w = torch.randn(T, *shape, generator=g)
        (lif(cur, b, th, leak_shift_int(kp), 0.3, T=T if repeat else None) * w).sum().backward()
        fast = [p.grad.clone() for p in (cur, b, th, kp)]
        for p in (cur, b, th, kp):
            p.grad = None
        c2 = cur.unsqueeze(0).expand(T, *shape) if repeat else cur
        (lif_autograd(c2, b, th, leak_shift_int(kp), 0.3) * w).sum().backward()
        for f, r in zip(fast, (cur.grad, b.grad, th.grad, kp.grad)):
            torch.testing.assert_close(f, r, rtol=1e-5, atol=1e-5)
    finally:
        ckernel.load.cache_clear()


def test_c_kernel_is_built_here():
    # the machine has a C compiler, so training runs the fast kernel (a fallback would be silent otherwise)
    assert ckernel.load() is not None


def test_dense_layout_and_T_one():
    cur = torch.tensor([[[3.0, 12.0]]])  # (T=1, N=1, C=2)
    out = lif(cur, torch.zeros(2), torch.tensor([5.0, 5.0]), leak_shift_int(torch.tensor(16.0)), 0.3)
    assert out.tolist() == [[[0.0, 1.0]]]


def test_spike_pool_matches_max_pool_values_and_gradients():
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(6, 3, 8, 8, generator=g) > 0.6).float().requires_grad_()
    gy = torch.randn(6, 3, 4, 4, generator=g)
    (spike_pool(x, 2) * gy).sum().backward()
    ours = x.grad.clone()
    x.grad = None
    (torch.nn.functional.max_pool2d(x, 2) * gy).sum().backward()
    assert torch.equal(spike_pool(x, 2), torch.nn.functional.max_pool2d(x, 2))
    assert torch.equal(ours, x.grad)


def test_leak_shift_parameter_rounds_and_clamps():
    assert leak_shift_int(torch.tensor(3.4)).item() == 3
    assert leak_shift_int(torch.tensor(40.0)).item() == NO_LEAK
    assert leak_shift_int(torch.tensor(-2.0)).item() == 1
    p = torch.tensor(5.3, requires_grad=True)
    leak_shift_int(p).backward()
    assert p.grad.item() == 1.0  # straight-through


def test_lif_function_is_the_autograd_function_used():
    assert lif.__module__ == LIFFunction.__module__
