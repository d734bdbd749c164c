"""Silent channels: found exactly (the bound is tight), zeroed without changing one spike or score."""

import dataclasses

import numpy as np
import pytest

from dietsnn.netfile import IntNetwork, Layer
from dietsnn.prune import prune_silent, silent_channels
from dietsnn.ref import network_widths, run_network
from dietsnn.testing import random_network
from dietsnn.vocab import Kind


def _with(net, name, **changes):
    return dataclasses.replace(net, layers=tuple(dataclasses.replace(l, **changes) if l.name == name else l
                                                 for l in net.layers))


def _silenced(rng):
    """A random network with conv1 channel 1 (huge threshold), conv2 channel 2 (no positive drive) and fc1
    channel 0 silent."""
    net = random_network(rng, T=5)
    c1, c2, f1 = (net.layer(n) for n in ("conv1", "conv2", "fc1"))
    th = c1.theta.copy()
    th[1] = 10**6
    net = _with(net, "conv1", theta=th)
    w, b = c2.weight.copy(), c2.bias.copy()
    w[2] = -np.abs(w[2])
    b[2] = -1
    net = _with(net, "conv2", weight=w, bias=b)
    th = f1.theta.copy()
    th[0] = 10**5
    return _with(net, "fc1", theta=th)


def _images(rng, net, n=40):
    x = rng.integers(0, 256, (n, *net.input_shape)).astype(np.uint8)
    x[0] = 255  # the strongest drive
    return x


def test_pruning_changes_no_spike_and_no_score(rng):
    net = _silenced(rng)
    pruned, found = prune_silent(net)
    assert found == {"conv1": [1], "conv2": [2], "fc1": [0]}
    x = _images(rng, net)
    a, b = run_network(net, x, record=True), run_network(pruned, x, record=True)
    assert np.array_equal(a.scores, b.scores)
    for name in a.spikes:
        assert np.array_equal(a.spikes[name], b.spikes[name]), name
    assert a.spikes["conv1"][:, :, 1].sum() == 0 and a.spikes["conv2"][:, :, 2].sum() == 0


def test_silent_channels_and_their_readers_are_zeroed(rng):
    net = _silenced(rng)
    pruned, _ = prune_silent(net)
    c1, c2, f1 = (pruned.layer(n) for n in ("conv1", "conv2", "fc1"))
    assert (c1.weight[1] == 0).all() and c1.bias[1] == 0 and c1.theta[1] == 1
    assert (c2.weight[:, 1] == 0).all()  # conv2 reads conv1 channel 1 through the pool
    hw = int(np.prod(net.shapes()[net.layers.index(net.layer("fc1"))][1:]))
    assert (f1.weight[:, 2 * hw:3 * hw] == 0).all()  # fc1's features of conv2 channel 2
    assert (pruned.layer("fc2").weight[:, 0] == 0).all()
    live = [i for i in range(len(c1.theta)) if i != 1]
    assert np.array_equal(c1.theta[live], net.layer("conv1").theta[live])
    before, after = network_widths(net), network_widths(pruned)
    assert all(b.state_bits <= a.state_bits for a, b in zip(before, after))
    assert after[0].state_bits < before[0].state_bits  # conv1's huge threshold no longer sets its width


def test_pruning_twice_changes_nothing(rng):
    once, _ = prune_silent(_silenced(rng))
    twice, found = prune_silent(once)
    assert twice.digest() == once.digest()
    assert found == {"conv1": [1], "conv2": [2], "fc1": [0]}  # still silent, as zeros


@pytest.mark.parametrize("T", [1, 5, 16])
@pytest.mark.parametrize("leak", [0, 1, 4])
def test_the_bound_is_tight(T, leak):
    """A 1x1 kernel of weight 1 on an all-255 image: without leak, u[t] = (t + 1) * 255 exactly. A threshold of
    T * 255 is never exceeded (silent); T * 255 - 1 is, at the last step (not silent)."""
    theta = np.array([T * 255, T * 255 - 1])
    layers = (Layer("c", Kind.INPUT_LIF, (1, 1), (1, 1), (0, 0, 0, 0), leak, np.ones((2, 1, 1, 1), np.int64),
                    np.zeros(2, np.int64), theta),
              Layer("o", Kind.OUTPUT_ACCUMULATE, weight=np.ones((2, 2), np.int64), bias=np.zeros(2, np.int64)))
    net = IntNetwork(T=T, input_shape=(1, 1, 1), input_bits=8, layers=layers)
    silent = silent_channels(net.layers[0], 255, T)
    assert silent.tolist() == [True, False]
    spikes = run_network(net, np.full((1, 1, 1, 1), 255, np.uint8), record=True).spikes["c"]
    assert spikes[:, :, 0].sum() == 0
    assert (spikes[:, :, 1].sum() > 0) == (leak == 0 or T == 1)  # a leak only lowers the membrane (from step 2)


def test_only_lif_layers_have_silent_channels(rng):
    with pytest.raises(ValueError, match=r"layer fc2: only LIF layers have channels that spike"):
        silent_channels(random_network(rng).layer("fc2"), 1, 5)
