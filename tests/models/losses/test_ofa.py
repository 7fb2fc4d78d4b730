"""OFALoss against a loop re-derivation of OFAKD's ``ofa_loss``; its exit branches' layout.

The reference computes each row's softmaxes and the ε-weighted cross-entropy with explicit sums
in float64, on the outputs of the loss's own exit branches (the branches are an architecture,
tested separately); values and gradients (logits, features, branch weights) agree to 1e-6.
"""
import math

import pytest
import torch
from torch import nn

from fdkd_mm.models.losses.ofa import OFALoss, SepConv

TOL = 1e-6


def reference_ofa(student_logits, teacher_logits, target, eps, tau):
    """1/N Σ_n Σ_k −((p_t + y)^ε − y) log p_s, rows and classes looped."""
    total = 0
    n, k = student_logits.shape
    for i in range(n):
        ps_den = sum((student_logits[i, c] / tau).exp() for c in range(k))
        pt_den = sum((teacher_logits[i, c] / tau).exp() for c in range(k))
        for c in range(k):
            y = 1.0 if c == int(target[i]) else 0.0
            p_t = (teacher_logits[i, c] / tau).exp() / pt_den
            p_s = (student_logits[i, c] / tau).exp() / ps_den
            total = total - ((p_t + y) ** eps - y) * p_s.log()
    return total / n


def rel(a, b):
    return float(((a - b).abs() / b.abs().clamp_min(1e-12)).max())


def test_hand_computed_eps_two():
    # Uniform teacher and student over 2 classes, target 0, ε = 2:
    # weights (1/2 + 1)² − 1 = 5/4 and (1/2)² = 1/4 -> (5/4 + 1/4) · ln 2.
    loss = OFALoss([4], num_classes=2, feature_dim=4, stages=(4, ), eps=2.0).double()
    out = loss([torch.zeros(1, 4, 1, 1, dtype=torch.float64)],
               torch.zeros(1, 2, dtype=torch.float64), torch.zeros(1, 2, dtype=torch.float64),
               torch.tensor([0]))
    assert out['loss_logits'].item() == pytest.approx(1.5 * math.log(2), rel=1e-12)


def test_values_and_gradients_match_reference():
    torch.manual_seed(0)
    loss = OFALoss([3, 5], num_classes=4, feature_dim=6, stages=(3, 4), eps=[1.5, 1.0, 1.2],
                   temperature=2.0, loss_weight=0.5, kd_loss_weight=2.0).double()
    gen = torch.Generator().manual_seed(1)
    feats = [torch.randn(3, 3, 8, 8, generator=gen, dtype=torch.float64, requires_grad=True),
             torch.randn(3, 5, 4, 4, generator=gen, dtype=torch.float64, requires_grad=True)]
    logits = torch.randn(3, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    teacher = torch.randn(3, 4, generator=gen, dtype=torch.float64) * 2
    target = torch.tensor([0, 3, 1])
    out = loss(feats, logits, teacher, target)
    (out['loss_branches'] + out['loss_logits']).backward()
    ours = [t.grad.clone() for t in feats + [logits]] + [p.grad.clone() for p in
                                                         loss.parameters()]
    ours_values = (out['loss_branches'].detach(), out['loss_logits'].detach())
    for t in feats + [logits]:
        t.grad = None
    loss.zero_grad()
    ref_branches = 0.5 * sum(reference_ofa(branch(f), teacher, target, eps, 2.0)
                             for f, branch, eps in zip(feats, loss.branches, (1.5, 1.0)))
    ref_logits = 2.0 * reference_ofa(logits, teacher, target, 1.2, 2.0)
    (ref_branches + ref_logits).backward()
    refs = [t.grad for t in feats + [logits]] + [p.grad for p in loss.parameters()]
    worst = max([rel(ours_values[0], ref_branches.detach()),
                 rel(ours_values[1], ref_logits.detach())]
                + [rel(a, b) for a, b in zip(ours, refs)])
    assert worst <= TOL, worst


def test_eps_one_is_cross_entropy_to_the_teacher():
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(4, 5, generator=gen, dtype=torch.float64)
    teacher = torch.randn(4, 5, generator=gen, dtype=torch.float64)
    loss = OFALoss([2], num_classes=5, feature_dim=2, stages=(4, )).double()
    out = loss([torch.zeros(4, 2, 1, 1, dtype=torch.float64)], logits, teacher,
               torch.tensor([0, 1, 2, 3]))
    ce = -(teacher.softmax(1) * logits.log_softmax(1)).sum(1).mean()
    assert out['loss_logits'].item() == pytest.approx(ce.item(), rel=1e-12)


def test_exit_branches_follow_ofakd_layout_and_init():
    loss = OFALoss([16, 32, 64], num_classes=7, feature_dim=128)
    stage2, stage3, stage4 = loss.branches
    # Stage 2: two SepConvs 16 -> 32 -> 128; stage 3: one 32 -> 128; stage 4: a 1x1 conv.
    seps = [m for m in stage2 if isinstance(m, SepConv)]
    assert [s.op[5].out_channels for s in seps] == [32, 128]
    assert [s.op[0].stride for s in seps] == [(2, 2), (2, 2)]
    assert [m.op[5].out_channels for m in stage3 if isinstance(m, SepConv)] == [128]
    assert isinstance(stage4[0], nn.Conv2d) and stage4[0].kernel_size == (1, 1)
    assert stage4[-1].out_features == 7 and float(stage4[-1].bias.abs().sum()) == 0
    assert float(stage4[-1].weight.std()) == pytest.approx(0.02, rel=0.2)
    feats = [torch.randn(2, 16, 32, 32), torch.randn(2, 32, 16, 16), torch.randn(2, 64, 8, 8)]
    assert [tuple(b(f).shape) for b, f in zip(loss.branches, feats)] == [(2, 7)] * 3
    assert loss.input_channels() == dict(student_feats=[16, 32, 64])
    with pytest.raises(ValueError, match='eps'):
        OFALoss([16], num_classes=2, feature_dim=4, stages=(4, ), eps=[1.0])


def test_dense_branches_skip_ignored_pixels():
    torch.manual_seed(3)
    loss = OFALoss([4], num_classes=3, feature_dim=4, stages=(4, ), dense=True).double()
    gen = torch.Generator().manual_seed(4)
    feat = torch.randn(1, 4, 2, 2, generator=gen, dtype=torch.float64)
    logits = torch.randn(1, 3, 2, 2, generator=gen, dtype=torch.float64)
    teacher = torch.randn(1, 3, 2, 2, generator=gen, dtype=torch.float64)
    target = torch.tensor([[[0, 255], [2, 1]]])
    out = loss([feat], logits, teacher, target)
    keep = (target != 255).reshape(-1)
    rows = lambda x: x.permute(0, 2, 3, 1).reshape(-1, 3)[keep]  # noqa: E731
    ref_logits = reference_ofa(rows(logits), rows(teacher), target.reshape(-1)[keep], 1.0, 1.0)
    ref_branch = reference_ofa(rows(loss.branches[0](feat)), rows(teacher),
                               target.reshape(-1)[keep], 1.0, 1.0)
    assert out['loss_logits'].item() == pytest.approx(ref_logits.item(), rel=TOL)
    assert out['loss_branches'].item() == pytest.approx(ref_branch.item(), rel=TOL)
