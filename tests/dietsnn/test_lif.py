"""SPEC section 3 at its edges: arithmetic shift on negatives, k = 0, reset timing, strict >."""

import numpy as np
import pytest

from dietsnn.ref.lif import leak, lif_sequence


def run(currents, bias=0, theta=10, k=0):
    a = np.asarray(currents, dtype=np.int64).reshape(-1, 1, 1)  # (T, N=1, C=1)
    spikes, u = lif_sequence(a, np.array([bias]), np.array([theta]), k)
    return spikes.ravel().tolist(), u.ravel().tolist()


def test_leak_of_negative_membrane_uses_arithmetic_shift():
    # -1 >> 1 == -1 (toward minus infinity), so leak_1(-1) = -1 - (-1) = 0
    assert leak(np.array([-1]), 1).tolist() == [0]
    assert leak(np.array([-3]), 1).tolist() == [-1]   # -3 - (-2)
    assert leak(np.array([-5]), 2).tolist() == [-3]   # -5 - (-2)
    assert leak(np.array([5]), 2).tolist() == [4]     # 5 - 1
    assert leak(np.array([7]), 1).tolist() == [4]     # 7 - 3


def test_k_zero_means_no_leak():
    assert leak(np.array([-7, 0, 123456]), 0).tolist() == [-7, 0, 123456]
    _, u = run([3, 3, 3], theta=100, k=0)
    assert u == [3, 6, 9]


def test_k_fifteen_leaks_only_large_membranes():
    assert leak(np.array([2**15, 2**15 - 1, -1]), 15).tolist() == [2**15 - 1, 2**15 - 1, 0]


def test_strict_comparison_does_not_fire_at_threshold():
    spikes, u = run([10, 0, 1], theta=10)
    assert u[0] == 10 and spikes[0] == 0
    assert spikes[2] == 1  # u = 11 > 10


def test_soft_reset_is_subtracted_at_the_next_step_and_not_leaked():
    # k = 1: u0 = 30 (fires), u1 = leak(30) + 0 - 10 = 15 - 10 = 5
    spikes, u = run([30, 0, 0], theta=10, k=1)
    assert spikes == [1, 0, 0]
    assert u[:2] == [30, 5]  # not leak(30 - 10) = 10
    # the membrane after the reset may stay above threshold and fire again
    spikes, u = run([25, 0, 0], theta=10, k=0)
    assert spikes == [1, 1, 0] and u == [25, 15, 5]


def test_bias_is_added_every_step_and_can_drive_negative():
    spikes, u = run([0, 0, 0, 0], bias=-3, theta=5, k=1)
    # leak_1(-3) = -3 - (-2) = -1, -1 - 3 = -4; leak_1(-4) = -2, -5; leak_1(-5) = -5 - (-3) = -2, -5
    assert u == [-3, -4, -5, -5] and spikes == [0, 0, 0, 0]


def test_per_channel_bias_and_theta_broadcast_along_channels():
    a = np.zeros((3, 1, 2, 2, 2), dtype=np.int64)  # (T, N, C, H, W)
    a[:] = 4
    spikes, _ = lif_sequence(a, bias=np.array([0, 2]), theta=np.array([7, 7]), leak_shift=0)
    assert spikes[:, 0, 0, 0, 0].tolist() == [0, 1, 0]  # 4, 8, 12-7=5
    assert spikes[:, 0, 1, 0, 0].tolist() == [0, 1, 1]  # 6, 12, 18-7=11


@pytest.mark.parametrize("k", [-1, 16, 2.0, True, "3"])
def test_bad_leak_shift_is_rejected(k):
    with pytest.raises(ValueError, match=r"^leak_shift must be"):
        leak(np.array([1]), k)


def test_float_current_is_rejected():
    with pytest.raises(TypeError, match=r"^LIF current must be an integer array"):
        lif_sequence(np.zeros((2, 1, 1)), np.array([0]), np.array([1]), 0)


def test_non_positive_theta_is_rejected():
    with pytest.raises(ValueError, match=r"^theta must be positive"):
        lif_sequence(np.zeros((2, 1, 1), np.int64), np.array([0]), np.array([0]), 0)
