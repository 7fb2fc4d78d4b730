"""Feature alignment (FA) of "Cross-Modal Knowledge Distillation without Paired Data" (2026).

The entropic optimal-transport cost between a batch of the student's pooled features ``S``
(B_s × D) and a batch of the teacher's ``T`` (B_t × D), as the authors' code computes it:
both L2-normalised, ``Ŝ = S / (‖S‖ + ε)``, the cost ``M = 1 − Ŝ T̂ᵀ`` (clamped at 0 in their
``sumall`` variant: rounding can make it slightly negative), uniform marginals ``1/B_s`` and
``1/B_t``, and POT's ``ot.sinkhorn2(a, b, M, reg, numItermax)``, whose value ``⟨P, M⟩`` (P the
Sinkhorn plan) is the loss. It never uses which teacher sample belongs to which student sample.

POT (the library the authors use) is imported here, when the loss is first computed, so that
``import fdkd_mm`` does not need it. The gradient is the one POT gives: its ``sinkhorn2``
returns ``sum(M * P)`` with the plan ``P`` computed by Sinkhorn-Knopp iterations on torch
tensors, so autograd differentiates *through the iterations* (POT 0.9.7; not the envelope
gradient ``∂/∂M = P`` of ``ot.emd2``). The iterations check for NaN and convergence on the
host every step, which makes FA cost more than its arithmetic (tools/analysis/benchmark_fa.py).
"""
import torch
from torch import Tensor


def import_pot():
    """POT's ``ot`` module, or an ImportError saying how to install it."""
    try:
        import ot
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError('the feature alignment of UnpairedCMKDLoss needs POT (Python Optimal '
                          'Transport): pip install pot (requirements/runtime.txt)') from error
    return ot


def cosine_cost(student: Tensor, teacher: Tensor, eps: float = 1e-8,
                clamp: bool = True) -> Tensor:
    """``M = 1 − Ŝ T̂ᵀ`` of L2-normalised rows, ``x / (‖x‖₂ + eps)``.

    Args:
        student: (B_s, D) features.
        teacher: (B_t, D) features.
        eps: Added to every norm (a zero row gives a zero direction, not a NaN).
        clamp: Clamp the cost at 0 (the authors' ``sumall``); off in their ``bilevel``.

    Returns:
        (B_s, B_t) cost matrix, in [0, 2] up to rounding.
    """
    student = student / (student.norm(dim=1, keepdim=True) + eps)
    teacher = teacher / (teacher.norm(dim=1, keepdim=True) + eps)
    cost = 1 - student @ teacher.transpose(0, 1)
    return cost.clamp(min=0.0) if clamp else cost


def sinkhorn_feature_cost(student: Tensor, teacher: Tensor, reg: float = 0.1,
                          num_iter_max: int = 100, clamp_cost: bool = True, eps: float = 1e-8,
                          stop_threshold: float = 1e-9) -> Tensor:
    """The FA loss: POT's Sinkhorn cost between the two batches (module docstring).

    Args:
        student: (B_s, D) pooled student features (with gradient).
        teacher: (B_t, D) pooled teacher features (a constant).
        reg: Entropic regularisation of ``ot.sinkhorn2`` (the authors: 0.1).
        num_iter_max: Sinkhorn iterations at most (the authors: 100).
        clamp_cost: Clamp the cost matrix at 0 (see :func:`cosine_cost`).
        eps: The normalisation's epsilon (the authors: 1e-8).
        stop_threshold: POT's ``stopThr`` (its default, 1e-9).

    Returns:
        The scalar cost, in the features' dtype.
    """
    ot = import_pot()
    cost = cosine_cost(student, teacher, eps, clamp_cost)
    # As the authors write the marginals: ones / B (not a rounded constant 1 / B).
    a = torch.ones(cost.shape[0], dtype=cost.dtype, device=cost.device) / cost.shape[0]
    b = torch.ones(cost.shape[1], dtype=cost.dtype, device=cost.device) / cost.shape[1]
    # warn=False (POT's default for sinkhorn2): after 100 iterations Sinkhorn has rarely met
    # stopThr, which the authors' runs do not report either.
    return ot.sinkhorn2(a, b, cost, reg=reg, numItermax=num_iter_max, stopThr=stop_threshold,
                        method='sinkhorn', warn=False)
