"""Distillation from the ANN twin: the loss, and a fine-tuning step that uses the teacher."""

import pytest
import torch
import torch.nn.functional as F

from dietsnn.testing import fmnist_available
from quant_train import train as train_mod
from quant_train.config import load_config
from quant_train.distill import distill_loss
from quant_train.train import train


def test_zero_weight_is_plain_cross_entropy():
    torch.manual_seed(0)
    s, t, y = torch.randn(16, 10), torch.randn(16, 10), torch.randint(0, 10, (16,))
    assert torch.equal(distill_loss(s, t, y, 0.0, 4.0), F.cross_entropy(s, y))


def test_blend_matches_the_formula_and_the_teacher_gets_no_gradient():
    torch.manual_seed(1)
    s = torch.randn(16, 10, requires_grad=True)
    t = torch.randn(16, 10, requires_grad=True)
    y = torch.randint(0, 10, (16,))
    a, tau = 0.7, 3.0
    p_t = F.softmax(t / tau, 1)
    kl = (p_t * (F.log_softmax(t / tau, 1) - F.log_softmax(s / tau, 1))).sum(1).mean()
    want = (1 - a) * F.cross_entropy(s, y) + a * tau * tau * kl
    got = distill_loss(s, t, y, a, tau)
    assert torch.allclose(got, want, atol=1e-6)
    got.backward()
    assert t.grad is None and s.grad is not None


def test_student_equal_to_teacher_pays_only_cross_entropy():
    torch.manual_seed(2)
    s, y = torch.randn(8, 10), torch.randint(0, 10, (8,))
    assert torch.allclose(distill_loss(s, s.clone(), y, 0.5, 4.0), 0.5 * F.cross_entropy(s, y), atol=1e-6)


@pytest.mark.skipif(not fmnist_available(), reason="needs Debian's dataset-fashion-mnist")
def test_fine_tuning_passes_the_ann_twin_as_teacher(tmp_path, monkeypatch):
    """With ``distill`` > 0 every SNN epoch gets the trained twin, in eval mode; the ANN epochs get none.
    Each phase's optimizer has its own weight decay (the LIF parameters none)."""
    seen = []
    real_epoch = train_mod._epoch

    def spy(model, opt, bases, split, cfg, epoch, epochs, d, dev, desc, snn, teacher=None):
        seen.append((snn, teacher))
        decay = [g["weight_decay"] for g in opt.param_groups]
        assert decay == ([0.0, 0.0] if snn else [cfg.weight_decay])
        if teacher is not None:
            assert not teacher.training and isinstance(teacher, train_mod.ANNTwin)
        return real_epoch(model, opt, bases, split, cfg, epoch, epochs, d, dev, desc, snn, teacher)

    monkeypatch.setattr(train_mod, "_epoch", spy)
    cfg = load_config("fmnist").replace(ann_epochs=1, snn_epochs=1, batch_size=64, convert_batches=2, distill=0.5,
                                        snn_weight_decay=0.0)
    st = train(cfg, tmp_path, limit_train=256, limit_test=64, device="cpu")
    assert st.phase == "done" and [(snn, t is not None) for snn, t in seen] == [(False, False), (True, True)]
    assert st.history["snn"][0]["loss"] > 0
