"""Knowledge distillation from the ANN twin into the DIET-SNN (Hinton et al., 2015).

The twin has the SNN's topology and is already trained when fine-tuning
starts, so it is a free teacher: the SNN's loss becomes
``(1 - a) * CE(s, y) + a * tau^2 * KL(softmax(t / tau) || softmax(s / tau))``
with ``a = cfg.distill`` and ``tau = cfg.distill_temperature``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def distill_loss(student: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor, weight: float,
                 temperature: float) -> torch.Tensor:
    """Cross-entropy blended with the temperature-softened KL to the teacher's logits (``weight`` in [0, 1))."""
    ce = F.cross_entropy(student, labels)
    if weight == 0.0:
        return ce
    kl = F.kl_div(F.log_softmax(student / temperature, dim=1), F.log_softmax(teacher.detach() / temperature, dim=1),
                  reduction="batchmean", log_target=True)
    return (1.0 - weight) * ce + weight * temperature * temperature * kl
