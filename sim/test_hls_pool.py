"""``snn_spike_pool`` in HLS (g++ C-simulation) against ``dietsnn.ref``: windows equal to, larger than
(overlapping) and smaller than (gapped) the stride, square or not, several foldings and T."""

import numpy as np
import pytest

from dietsnn.ref.pool import spike_maxpool
from dietsnn.ref.streams import pack_beats, pack_spike_trains
from hw import hls_gen

CASES = [  # T, C, PE, H, W, (KH, KW), (SH, SW), frames
    (1, 4, 2, 7, 7, (3, 3), (2, 2), 2),  # overlapping 3x3/2: two row and two column banks
    (5, 6, 3, 9, 6, (2, 3), (1, 2), 3),  # non-square window and stride, overlapping both ways
    (8, 4, 4, 8, 9, (2, 2), (3, 3), 2),  # gapped rows and columns; CF = 1
    (16, 6, 2, 6, 7, (3, 3), (1, 1), 2),  # stride 1: three banks each way
    (5, 6, 2, 10, 5, (1, 2), (3, 1), 2),  # gapped rows, overlapping columns
    (5, 3, 3, 7, 1, (3, 1), (2, 1), 3),  # one beat per input row (W * C/PE = 1): the row banks in registers
    (8, 4, 2, 5, 8, (5, 3), (4, 3), 2),  # the window is the whole height
]


@pytest.mark.parametrize("T,C,PE,H,W,kernel,stride,frames", CASES,
                         ids=lambda v: "x".join(map(str, v)) if isinstance(v, tuple) else str(v))
def test_spike_pool_any_window_and_stride(T, C, PE, H, W, kernel, stride, frames):
    rng = np.random.default_rng(T * 100 + C * 10 + kernel[0])
    spikes = (rng.random((T, frames, C, H, W)) < 0.2).astype(np.uint8)
    spikes[:, 0] = rng.random((T, C, H, W)) < 0.02  # sparse frame: ORs of mostly zeros
    layer = hls_gen.spike_pool(H=H, W=W, C=C, PE=PE, T=T, kernel=kernel, stride=stride)
    out = hls_gen.simulate(layer, pack_beats(pack_spike_trains(spikes), T, PE))
    expect = pack_spike_trains(spike_maxpool(spikes, kernel, stride))  # (N, OH, OW, C) words
    assert layer.beats_out == expect[0].size // PE
    assert out == pack_beats(expect, T, PE)


def test_spike_pool_arguments():
    with pytest.raises(ValueError, match=r"^SnnSpikePool: give K or kernel and stride, not both$"):
        hls_gen.spike_pool(H=6, W=6, C=4, PE=2, T=5, K=2, kernel=(2, 2), stride=(2, 2))
    with pytest.raises(ValueError, match=r"^SnnSpikePool: kernel and stride \(or K\) are required$"):
        hls_gen.spike_pool(H=6, W=6, C=4, PE=2, T=5, kernel=(2, 2))
    with pytest.raises(ValueError, match=r"^SnnSpikePool: window 3x7 does not fit the 6x6 input$"):
        hls_gen.spike_pool(H=6, W=6, C=4, PE=2, T=5, kernel=(3, 7), stride=(1, 1))
    with pytest.raises(ValueError, match=r"^SnnSpikePool: stride must be at least 1, got 2x0$"):
        hls_gen.spike_pool(H=6, W=6, C=4, PE=2, T=5, kernel=(3, 3), stride=(2, 0))
    layer = hls_gen.spike_pool(H=7, W=9, C=4, PE=2, T=5, kernel=(3, 2), stride=(2, 3))
    assert (layer.beats_in, layer.beats_out) == (7 * 9 * 2, 3 * 3 * 2)
