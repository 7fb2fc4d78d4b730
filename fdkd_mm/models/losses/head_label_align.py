"""Label alignment (LA) of "Cross-Modal Knowledge Distillation without Paired Data" (2026).

The student's feature ``f`` goes through the *teacher's* frozen classifier, ``h_T(f)``; with
``p_S = softmax(z)`` the student's prediction (its own logits ``z``), ``p_T = softmax(h_T(f))``
and ``κ = p_T`` held constant, the loss at the label y of each sample is, batch mean::

    LA = −mean_i [ log p_S(y_i) − κ_i(y_i) · log p_T(y_i) ]

(``F.nll_loss`` of ``log p_S − κ ⊙ log p_T`` in the authors' ``sumall``). Their ``bilevel``
computes ``p_T`` under ``no_grad`` instead, so the teacher term has no gradient at all: same
value, gradients through ``z`` only (``teacher_grad=False``). No teacher input is needed.
"""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor


def head_label_alignment(student_logits: Tensor, teacher_head_logits: Tensor, labels: Tensor,
                         teacher_grad: bool = True) -> Tensor:
    """The LA loss of a batch (module docstring).

    Args:
        student_logits: (N, K) the student's logits ``z``.
        teacher_head_logits: (N, K) the teacher classifier on the student's feature, ``h_T(f)``.
        labels: (N,) class ids.
        teacher_grad: Let the teacher term's ``log p_T`` carry gradient into ``f`` (``sumall``);
            False treats ``p_T`` as a constant (``bilevel``).

    Returns:
        The scalar loss.
    """
    log_p_student = F.log_softmax(student_logits, dim=-1)
    log_p_teacher = F.log_softmax(teacher_head_logits, dim=-1)
    kappa = F.softmax(teacher_head_logits, dim=-1).detach()
    if not teacher_grad:
        log_p_teacher = log_p_teacher.detach()
    return F.nll_loss(log_p_student - kappa * log_p_teacher, labels.long())


def linear_head(feature: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``h_T(f) = f Wᵀ + b``: the teacher's linear classifier applied to the student's feature.

    Args:
        feature: (N, D) student features.
        weight: (K, D) the teacher classifier's weight (a constant).
        bias: (K,) its bias, or None.

    Returns:
        (N, K) logits, in the feature's dtype.
    """
    bias = bias.detach().to(feature.dtype) if bias is not None else None
    return F.linear(feature, weight.detach().to(feature.dtype), bias)

