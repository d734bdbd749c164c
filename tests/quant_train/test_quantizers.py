"""Brevitas weight quantizers and the integer parameters the SNN layers derive from them."""

import pytest
import torch

from quant_train.config import load_config
from quant_train.model import ANNTwin, DietSNN, SpikingConv, SpikingDense
from quant_train.neurons import round_ste


@pytest.mark.parametrize("bits", [2, 3, 4, 6, 8])
def test_weights_are_narrow_range_integers(bits):
    cfg = load_config("fmnist").replace(weight_bits=bits)
    torch.manual_seed(bits)
    snn = DietSNN(cfg, (1, 28, 28))
    lim = 2 ** (bits - 1) - 1
    for layer in snn.layers:
        if isinstance(layer, (SpikingConv, SpikingDense)):
            w, b, th, k = layer.int_params()
            assert torch.equal(w, w.round())
            assert w.abs().max().item() == lim  # max-abs scaling uses the full range
            assert torch.equal(b, b.round())
            if th is not None:
                assert th.min().item() >= 1 and torch.equal(th, th.round())


def test_output_layer_has_one_scale_so_integer_argmax_equals_real_argmax():
    snn = DietSNN(load_config("fmnist"), (1, 28, 28))
    out = snn.layers[-1]
    assert out.kind == "output_accumulate"
    assert out.layer.quant_weight().scale.numel() == 1
    hidden = snn.layers[0]
    assert hidden.layer.quant_weight().scale.numel() == 32  # per output channel


def test_round_ste_passes_gradient_through():
    x = torch.tensor([0.4, 1.5, 2.5, -1.5], requires_grad=True)
    y = round_ste(x)
    assert y.tolist() == [0.0, 2.0, 2.0, -2.0]  # half to even, like numpy.rint
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_threshold_is_the_per_layer_real_threshold_over_the_channel_scale():
    torch.manual_seed(0)
    snn = DietSNN(load_config("fmnist"), (1, 28, 28))
    layer = snn.layers[0]
    layer.v_th.data.fill_(0.8)
    _, _, th, _ = layer.int_params()
    s = layer.layer.quant_weight().scale.detach().flatten() / 255.0
    assert torch.equal(th, torch.clamp(torch.round(0.8 / s), min=1))


def test_ann_twin_quantizes_weights_and_activations():
    ann = ANNTwin(load_config("fmnist"), (1, 28, 28))
    names = [type(m).__name__ for m in ann.modules()]
    assert "QuantConv2d" in names and "QuantLinear" in names and "QuantReLU" in names


def test_per_layer_threshold_option_gives_one_integer_threshold_per_layer():
    from quant_train.export import to_int_network

    torch.manual_seed(0)
    snn = DietSNN(load_config("fmnist").replace(per_channel_threshold=False), (1, 28, 28)).eval()
    for layer in snn.layers:
        if getattr(layer, "spiking", False):
            layer.v_th.data.fill_(0.7)
    net = to_int_network(snn)
    for layer in net.layers:
        if layer.is_lif:
            assert len(set(layer.theta.tolist())) == 1
