"""The LIF in PyTorch: forward equals the integer reference on both paths (C kernel, vectorized
PyTorch); the hand-written BPTT of both, fused with the OR-pool, equals autograd."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dietsnn.ref.lif import lif_sequence
from dietsnn.ref.pool import spike_maxpool
from quant_train import ckernel
from quant_train.lif_torch import LIFTorch, lif_autograd
from quant_train.neurons import NO_LEAK, LIFPoolC, leak_shift_int, lif, uses_c_kernel

PATHS = ["c", "torch"]


def _k(k_spec):
    return torch.tensor(float(NO_LEAK if k_spec == 0 else k_spec))


def _run(path, cur, b, th, k, T, repeat, pool, alpha=0.3):
    kernel, stride = pool or (1, 1)
    if path == "c":
        return LIFPoolC.apply(cur, b, th, k, alpha, T, repeat, kernel, stride)
    spikes = LIFTorch.apply(cur, b, th, k, alpha, T, repeat)
    if pool is None:
        return spikes
    return F.max_pool2d(spikes.flatten(0, 1), kernel, stride).unflatten(0, spikes.shape[:2])


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("k", [0, 1, 3, 15])
@pytest.mark.parametrize("repeat", [False, True])
def test_forward_equals_integer_reference(path, k, repeat):
    g = torch.Generator().manual_seed(k)
    T, shape = 6, (3, 4, 5, 5)
    cur = torch.randint(-60, 90, shape if repeat else (T, *shape), generator=g).float()
    bias = torch.randint(-9, 10, (4,), generator=g).float()
    theta = torch.randint(5, 40, (4,), generator=g).float()
    spikes = _run(path, cur, bias, theta, leak_shift_int(_k(k)), T, repeat, (3, 2))
    a = cur.long().numpy()
    if repeat:
        a = np.broadcast_to(a, (T, *shape))
    ref, _ = lif_sequence(a, bias.long().numpy(), theta.long().numpy(), k)
    assert np.array_equal(spikes.numpy().astype(np.uint8), spike_maxpool(ref, (3, 3), (2, 2)))


CASES = [((4, 3, 7, 6), None), ((4, 3, 8, 8), (2, 2)), ((4, 3, 7, 7), (3, 2)), ((4, 3, 7, 8), (2, 3)),
         ((4, 5), None)]


GRAD_CASES = [(shape, pool, k, repeat) for shape, pool in CASES
              for k, repeat in [(3.0, False), (16.0, False), (2.0, True)]
              if not (repeat and len(shape) == 2)]  # a repeated current is the input layer's: a convolution


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("shape,pool,k,repeat", GRAD_CASES)
def test_bptt_gradients_equal_autograd(path, shape, pool, k, repeat):
    g = torch.Generator().manual_seed(7)
    T, C = 5, shape[1]
    leaves = [torch.randint(-20, 40, shape if repeat else (T, *shape), generator=g).float(),
              torch.randint(-5, 5, (C,), generator=g).float(), torch.randint(10, 30, (C,), generator=g).float(),
              torch.tensor(k)]
    grads, outs = [], []
    for fn in (path, "reference"):
        cur, b, th, kp = (x.clone().requires_grad_() for x in leaves)
        if fn == "reference":
            c2 = cur.unsqueeze(0).expand(T, *shape) if repeat else cur
            out = lif_autograd(c2, b, th, leak_shift_int(kp), 0.3)
            if pool is not None:
                out = F.max_pool2d(out.flatten(0, 1), *pool).unflatten(0, out.shape[:2])
        else:
            out = _run(fn, cur, b, th, leak_shift_int(kp), T, repeat, pool)
        w = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
        (out * w).sum().backward()
        outs.append(out.detach())
        grads.append([x.grad for x in (cur, b, th, kp)])
    assert torch.equal(outs[0], outs[1])
    for f, r in zip(*grads):
        torch.testing.assert_close(f, r, rtol=1e-5, atol=1e-5)


def test_c_kernel_gradients_do_not_depend_on_the_thread_count():
    g = torch.Generator().manual_seed(3)
    cur = torch.randint(-20, 40, (5, 6, 4, 8, 8), generator=g).float()
    b, th = torch.zeros(4), torch.full((4,), 20.0)
    results = []
    prev = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            x, bb, tt, kp = (v.clone().requires_grad_() for v in (cur, b, th, torch.tensor(3.0)))
            out = LIFPoolC.apply(x, bb, tt, leak_shift_int(kp), 0.3, 5, False, 2, 2)
            (out * torch.linspace(-1, 1, out.numel()).reshape(out.shape)).sum().backward()
            results.append([out, x.grad, bb.grad, tt.grad, kp.grad])
    finally:
        torch.set_num_threads(prev)
    for a, r in zip(*results):
        assert torch.equal(a, r)


def test_c_kernel_is_built_here():
    # the machine has a C compiler, so training on the CPU runs the fast kernel (a fallback would be silent otherwise)
    assert ckernel.load() is not None and uses_c_kernel(torch.zeros(1))


def test_dispatch_and_the_docstring_example(monkeypatch):
    cur = torch.tensor([[[3.0, 12.0]]])  # (T=1, N=1, C=2)
    for no_c in ("", "1"):
        monkeypatch.setenv("DIETSNN_NO_CKERNEL", no_c)
        ckernel.load.cache_clear()
        try:
            assert uses_c_kernel(cur) == (no_c == "")
            out = lif(cur, torch.zeros(2), torch.tensor([5.0, 5.0]), leak_shift_int(torch.tensor(16.0)), 0.3)
            assert out.tolist() == [[[0.0, 1.0]]]
        finally:
            ckernel.load.cache_clear()
    assert not uses_c_kernel(cur.double())


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match=r"bias and theta need 4 values \(one per channel\), got 3 and 4"):
        lif(torch.zeros(2, 1, 4, 3, 3), torch.zeros(3), torch.ones(4), torch.tensor(16.0), 0.3)
    with pytest.raises(ValueError, match=r"pooling needs conv currents"):
        lif(torch.zeros(2, 1, 4), torch.zeros(4), torch.ones(4), torch.tensor(16.0), 0.3, pool=(2, 2))


def test_leak_shift_parameter_rounds_and_clamps():
    assert leak_shift_int(torch.tensor(3.4)).item() == 3
    assert leak_shift_int(torch.tensor(40.0)).item() == NO_LEAK
    assert leak_shift_int(torch.tensor(-2.0)).item() == 1
    p = torch.tensor(5.3, requires_grad=True)
    leak_shift_int(p).backward()
    assert p.grad.item() == 1.0  # straight-through


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("shape,pool,repeat", [((4, 3, 8, 8), (2, 2), True), ((4, 3, 7, 7), (3, 2), False),
                                               ((4, 5), None, False)])
def test_gpu_path_equals_the_c_kernel(shape, pool, repeat):
    g = torch.Generator().manual_seed(11)
    T, C = 5, shape[1]
    leaves = [torch.randint(-20, 40, shape if repeat else (T, *shape), generator=g).float(),
              torch.randint(-5, 5, (C,), generator=g).float(), torch.randint(10, 30, (C,), generator=g).float(),
              torch.tensor(3.0)]
    res = []
    for device in ("cpu", "cuda"):
        cur, b, th, kp = (x.clone().to(device).requires_grad_() for x in leaves)
        out = lif(cur, b, th, leak_shift_int(kp), 0.3, T=T if repeat else None, pool=pool)
        w = torch.randn(out.shape, generator=torch.Generator().manual_seed(1)).to(device)
        (out * w).sum().backward()
        res.append([t.detach().cpu() for t in (out, cur.grad, b.grad, th.grad, kp.grad)])
    assert torch.equal(res[0][0], res[1][0])  # spikes: exact
    for a, r in zip(res[0][1:], res[1][1:]):
        torch.testing.assert_close(a, r, rtol=1e-4, atol=1e-4)

