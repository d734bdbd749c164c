"""ANN-to-SNN conversion: BatchNorm folding, percentile thresholds, threshold balancing."""

import numpy as np
import pytest
import torch
import torch.nn as nn

from quant_train.config import load_config
from quant_train.convert import convert, fold_bn, percentile_positive
from quant_train.data import Split
from quant_train.model import ANNTwin


def test_percentile_of_positive_values():
    v = torch.cat([torch.zeros(1000), torch.arange(1, 1001).float()])
    assert percentile_positive([v], 99.7) == pytest.approx(np.percentile(np.arange(1, 1001), 99.7))
    with pytest.raises(ValueError, match="never activates"):
        percentile_positive([torch.zeros(10)], 99.7)


def test_fold_bn_equals_conv_then_bn():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 5, 3, padding=1, bias=False)
    bn = nn.BatchNorm2d(5)
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2)
    bn.weight.data.uniform_(-2, 2)
    bn.bias.data.uniform_(-1, 1)
    bn.eval()
    x = torch.randn(2, 3, 6, 6)
    w, b = fold_bn(conv.weight, bn)
    torch.testing.assert_close(nn.functional.conv2d(x, w, b, padding=1), bn(conv(x)), rtol=1e-5, atol=1e-5)


def test_convert_balances_thresholds_layer_by_layer():
    torch.manual_seed(0)
    cfg = load_config("fmnist").replace(convert_batches=2, batch_size=16)
    ann = ANNTwin(cfg, (1, 28, 28)).eval()
    for m in ann.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.1, 0.1)
    split = Split(torch.randint(0, 256, (32, 1, 28, 28), dtype=torch.uint8), torch.zeros(32, dtype=torch.long), ("a",))
    snn, lambdas = convert(ann, split, cfg)
    spiking = [l for l in snn.layers if getattr(l, "spiking", False)]
    assert len(lambdas) == len(spiking) == 3
    prev = 1.0
    for layer, lam in zip(spiking, lambdas):
        assert layer.v_th.item() == pytest.approx(lam / prev, rel=1e-6)
        prev = lam
    assert snn.logit_scale.item() == pytest.approx(lambdas[-1])
    # the folded weights quantize to the ANN's integers up to the sign of the BN scale
    q_ann = ann.blocks[0][0].quant_weight().int().float()
    q_snn = snn.layers[0].layer.quant_weight().int().float()
    sign = torch.sign(ann.blocks[0][1].weight.detach()).reshape(-1, 1, 1, 1)
    assert torch.equal(q_snn, q_ann * sign)
