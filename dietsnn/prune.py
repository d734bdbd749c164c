"""Silent channels: LIF channels that can never spike, written as what they compute (nothing).

A LIF channel ``c`` starts at ``u = 0`` and, until its first spike, follows
``u[t] = leak_k(u[t-1]) + a[t] + b[c]`` (SPEC section 2). ``leak_k`` never
raises a positive ``u`` and never lifts a negative one above 0, and
``a[t] <= P[c] = max_input * sum(max(W[c], 0))``, so before any spike
``u[t] <= (t + 1) * max(0, P[c] + b[c])``. When ``T * max(0, P[c] + b[c]) <=
theta[c]`` the channel never exceeds its threshold: its spike train is 0 for
every input.

Fine-tuning makes such channels (a conv1 channel that stops spiking gets no
gradient but weight decay, its weight scale shrinks, and its integer
threshold grows to millions). Their numbers cost register width at every
level (the state bound of SPEC section 6 takes the layer's largest
threshold) and, in the next layer, adders for inputs that are always 0.

``prune_silent`` rewrites each silent channel as weights 0, bias 0, threshold
1 (``u`` stays 0, never above 1), and zeroes the next weighted layer's weights
on its spike trains (through pooling: the OR of zeros is 0). Every spike
train and every score stays the same, bit for bit; layer by layer, so a
channel silenced by its silent inputs is found too.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .netfile import IntNetwork, Layer


def silent_channels(layer: Layer, max_input: int, T: int) -> np.ndarray:
    """Boolean ``(O,)``: the LIF channels of ``layer`` that never spike for inputs in ``0..max_input``."""
    if not layer.is_lif:
        raise ValueError(f"layer {layer.name}: only LIF layers have channels that spike ({layer.kind} given)")
    w = layer.weight.reshape(layer.weight.shape[0], -1).astype(np.int64)
    drive = np.clip(w, 0, None).sum(axis=1) * int(max_input) + layer.bias
    return T * np.clip(drive, 0, None) <= layer.theta


def prune_silent(net: IntNetwork) -> tuple[IntNetwork, dict[str, list[int]]]:
    """``net`` with its silent channels zeroed (same spikes and scores), and the silent channels per layer."""
    shapes = net.shapes()
    layers, found = [], {}
    silent_in = None  # boolean mask over the current input's channels (or features) that are always 0
    for i, layer in enumerate(net.layers):
        if not layer.has_weights:  # pooling: a channel of zeros stays zeros
            layers.append(layer)
            continue
        w = layer.weight.copy()
        if silent_in is not None and silent_in.any():
            if layer.is_conv:
                w[:, silent_in] = 0
            else:  # dense on a flattened (C, H, W) or (F,) input: features c*H*W .. (c+1)*H*W - 1 per channel
                per = int(np.prod(shapes[i][1:])) if len(shapes[i]) == 3 else 1
                w[:, np.repeat(silent_in, per)] = 0
        changes = {"weight": w}
        silent_in = None
        if layer.is_lif:
            silent = silent_channels(dataclasses.replace(layer, weight=w), net.max_input(layer), net.T)
            if silent.any():
                w[silent] = 0
                changes["bias"] = np.where(silent, 0, layer.bias)
                changes["theta"] = np.where(silent, 1, layer.theta)
                found[layer.name] = [int(c) for c in np.flatnonzero(silent)]
            silent_in = silent
        layers.append(dataclasses.replace(layer, **changes))
    return dataclasses.replace(net, layers=tuple(layers)), found
