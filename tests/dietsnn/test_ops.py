"""Integer convolution, dense, OR pooling and the output accumulator against naive loops."""

import numpy as np
import pytest

from dietsnn.ref.accumulate import output_accumulate, predict_label
from dietsnn.ref.conv import conv2d_int, dense_int
from dietsnn.ref.pool import spike_maxpool


def naive_conv(x, w, stride, pad):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    top, left, bottom, right = pad
    xp = np.zeros((n, c, h + top + bottom, wd + left + right), dtype=np.int64)
    xp[:, :, top:top + h, left:left + wd] = x
    oh = (h + top + bottom - kh) // stride[0] + 1
    ow = (wd + left + right - kw) // stride[1] + 1
    out = np.zeros((n, o, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
            out[:, :, i, j] = np.einsum("nckl,ockl->no", win, w)
    return out


@pytest.mark.parametrize("kernel,stride,pad", [
    ((3, 3), (1, 1), (1, 1, 1, 1)), ((5, 5), (2, 2), (2, 2, 2, 2)), ((1, 1), (1, 1), (0, 0, 0, 0)),
    ((3, 2), (2, 1), (0, 1, 2, 0)), ((4, 4), (3, 3), (0, 0, 0, 0))])
def test_conv2d_int_matches_naive(rng, kernel, stride, pad):
    x = rng.integers(0, 256, (2, 3, 9, 10))
    w = rng.integers(-8, 8, (4, 3, *kernel))
    assert np.array_equal(conv2d_int(x, w, stride, pad), naive_conv(x, w, stride, pad))


def test_conv_of_spikes_and_worst_case_is_exact(rng):
    w = np.full((2, 64, 3, 3), 127, dtype=np.int64)  # 8-bit weights, all maximal
    x = np.full((1, 64, 5, 5), 255, dtype=np.int64)
    assert conv2d_int(x, w, (1, 1), (0, 0, 0, 0)).max() == 64 * 9 * 127 * 255


def test_dense_int(rng):
    x = rng.integers(0, 2, (5, 17))
    w = rng.integers(-7, 8, (3, 17))
    assert np.array_equal(dense_int(x, w), x @ w.T)


def test_spike_maxpool_is_or_per_timestep():
    s = np.zeros((2, 1, 1, 4, 4), dtype=np.uint8)  # (T, N, C, H, W)
    s[0, 0, 0, 0, 1] = 1
    s[1, 0, 0, 3, 3] = 1
    out = spike_maxpool(s, (2, 2), (2, 2))
    assert out[0, 0, 0].tolist() == [[1, 0], [0, 0]]
    assert out[1, 0, 0].tolist() == [[0, 0], [0, 1]]


def test_spike_maxpool_overlapping_windows(rng):
    s = rng.integers(0, 2, (3, 2, 2, 7, 7)).astype(np.uint8)
    out = spike_maxpool(s, (3, 3), (2, 2))
    ref = np.zeros((3, 2, 2, 3, 3), dtype=np.uint8)
    for i in range(3):
        for j in range(3):
            ref[..., i, j] = s[..., 2 * i:2 * i + 3, 2 * j:2 * j + 3].max(axis=(-2, -1))
    assert np.array_equal(out, ref)


def test_output_accumulate_adds_bias_every_step():
    a = np.array([[[1, 2]], [[3, 4]], [[5, 6]]])  # (T=3, N=1, C=2)
    assert output_accumulate(a, np.array([10, -1])).tolist() == [[39, 9]]


def test_argmax_takes_lowest_index_on_ties():
    assert predict_label(np.array([[3, 7, 7, 1], [5, 5, 5, 5]])).tolist() == [1, 0]
