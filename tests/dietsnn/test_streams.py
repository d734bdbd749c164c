"""SPEC section 5 stream formats: T-bit spike words, NHWC, LSB-first beat packing."""

import numpy as np
import pytest

from dietsnn.ref.streams import pack_beats, pack_spike_trains, unpack_beats, unpack_spike_trains


def test_bit_t_is_timestep_t_and_layout_is_nhwc():
    s = np.zeros((5, 1, 2, 1, 3), dtype=np.uint8)  # (T, N, C, H, W)
    s[0, 0, 1, 0, 2] = 1
    s[4, 0, 1, 0, 2] = 1
    s[2, 0, 0, 0, 0] = 1
    w = pack_spike_trains(s)
    assert w.shape == (1, 1, 3, 2)
    assert w[0, 0, 2, 1] == 0b10001 and w[0, 0, 0, 0] == 0b00100


@pytest.mark.parametrize("T", [1, 5, 8, 16])
def test_round_trip(rng, T):
    s = rng.integers(0, 2, (T, 2, 3, 4, 5)).astype(np.uint8)
    assert np.array_equal(unpack_spike_trains(pack_spike_trains(s), T), s)
    d = rng.integers(0, 2, (T, 2, 7)).astype(np.uint8)
    assert np.array_equal(unpack_spike_trains(pack_spike_trains(d), T), d)


def test_beats_put_element_zero_in_the_lsbs():
    assert pack_beats(np.array([1, 2, 3, 4]), 4, 2) == [0x21, 0x43]
    assert unpack_beats([0x21, 0x43], 4, 2).tolist() == [1, 2, 3, 4]
    assert unpack_beats(pack_beats(np.array([-3, 5, -8, 7]), 4, 4, signed=True), 4, 4, signed=True).tolist() == [-3, 5, -8, 7]


def test_values_that_do_not_fit_are_an_error_not_wrapped():
    with pytest.raises(ValueError, match=r"values 0\.\.16 do not fit unsigned 4-bit fields"):
        pack_beats(np.array([0, 16]), 4, 2)
    with pytest.raises(ValueError, match=r"3 elements do not fill beats of 2"):
        pack_beats(np.array([0, 1, 2]), 4, 2)
    with pytest.raises(ValueError, match=r"does not fit in T=3 bits"):
        unpack_spike_trains(np.array([[8]]), 3)
