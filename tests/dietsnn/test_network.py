"""The golden model on whole networks: consistency with the per-op functions and the width bounds."""

import numpy as np
import pytest

from dietsnn.testing import random_network
from dietsnn.netfile import IntNetwork, Layer
from dietsnn.ref import lif_sequence, network_widths, run_network
from dietsnn.ref.energy import energy_report


def test_run_network_composes_the_ops(rng):
    net = random_network(rng, T=4)
    x = rng.integers(0, 256, (3, *net.input_shape)).astype(np.uint8)
    res = run_network(net, x, record=True, count_synops=True)
    assert res.scores.shape == (3, 3) and res.pred.shape == (3,)
    assert res.spikes["conv1"].shape == (4, 3, 4, 8, 8)
    assert res.spike_counts["conv1"] == int(res.spikes["conv1"].sum())
    # batching does not change anything
    res1 = run_network(net, x, batch_size=1)
    assert np.array_equal(res1.scores, res.scores)
    assert set(res.synops) == {"conv2", "fc1", "fc2"}


@pytest.mark.parametrize("bad,err,msg", [
    (lambda x: x.astype(np.float32), TypeError, r"^images: expected integer pixels"),
    (lambda x: x[:, :, :4], ValueError, r"^images: expected shape \(N, 1, 8, 8\)"),
    (lambda x: x.astype(np.int64) + 300, ValueError, r"^images: pixel values must be in 0\.\.255"),
])
def test_bad_images_are_rejected(rng, bad, err, msg):
    net = random_network(rng)
    x = rng.integers(0, 256, (2, *net.input_shape)).astype(np.uint8)
    with pytest.raises(err, match=msg):
        run_network(net, bad(x))


def _worst_case_net(T, k, theta):
    w = np.full((2, 1, 3, 3), 7, dtype=np.int64)
    layers = (Layer("c", "input_lif", (3, 3), (1, 1), (0, 0, 0, 0), k, w, np.array([50, 50]), np.array([theta, theta])),
              Layer("o", "output_accumulate", weight=np.full((2, 2), 7, np.int64), bias=np.array([3, 3])))
    return IntNetwork(T=T, input_shape=(1, 3, 3), input_bits=8, layers=layers)


@pytest.mark.parametrize("T", [1, 5, 16])
def test_state_stays_within_the_section6_bound_at_the_worst_case(T):
    net = _worst_case_net(T, 0, 10**6)  # never fires: the membrane only grows
    wd = network_widths(net)[0]
    a = np.full((T, 1, 2), 9 * 7 * 255, dtype=np.int64)
    _, u = lif_sequence(a, net.layers[0].bias, net.layers[0].theta, 0)
    assert wd.acc_bound == 9 * 7 * 255
    assert np.abs(u).max() <= wd.state_bound
    assert np.abs(u).max() < 2 ** (wd.state_bits - 1)
    out = network_widths(net)[1]
    assert out.state_bound == T * (2 * 7 + 3)  # two spikes of weight 7 plus bias, every step


def test_energy_report_counts_first_layer_macs_once(rng):
    net = random_network(rng, T=5)
    x = rng.integers(0, 256, (2, *net.input_shape)).astype(np.uint8)
    res = run_network(net, x, count_synops=True)
    rep = energy_report(net, res.synops, 2)
    first = rep["layers"][0]
    assert first["snn_macs"] == first["ann_macs"] == 4 * 1 * 9 * 8 * 8
    assert rep["snn_acs"] == sum(res.synops.values()) / 2
    assert rep["ann_over_snn"] == pytest.approx(rep["ann_energy_pJ"] / rep["snn_energy_pJ"])


def test_synaptic_ops_count_each_spike_once_per_reached_output(rng):
    from dietsnn.ref.energy import synaptic_ops

    layer = Layer("c", "lif_conv", (3, 3), (2, 2), (1, 1, 1, 1), 0, np.ones((5, 2, 3, 3), np.int64),
                  np.zeros(5, np.int64), np.ones(5, np.int64))
    s = rng.integers(0, 2, (3, 2, 2, 6, 6))  # (T, N, C, H, W)
    naive = 0
    xp = np.pad(s, ((0, 0), (0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(3):
        for j in range(3):
            naive += xp[..., 2 * i:2 * i + 3, 2 * j:2 * j + 3].sum() * 5
    assert synaptic_ops(layer, s) == naive
