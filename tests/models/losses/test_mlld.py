"""MLLDLoss against a loop re-derivation of MST-Distill's MLLD (and the authors' normalisation).

The reference computes every softmax, KL, Gram entry and class-correlation entry with explicit
sums over rows and classes, in float64; values and gradients must agree to 1e-6 (relative).
"""
import math

import pytest
import torch

from fdkd_mm.models.losses import mlld
from fdkd_mm.models.losses.mlld import MLLDLoss

TOL = 1e-6
TEMPS = (2.0, 3.0, 4.0, 5.0, 6.0)


def softmax_rows(z, tau):
    out = []
    for row in z:
        exps = [(v / tau).exp() for v in row]
        total = sum(exps)
        out.append([e / total for e in exps])
    return out


def reference_mlld(student, teacher, temps=TEMPS, reduction='mst', dense=False):
    """(instance, batch, class) terms as MST-Distill's kd_loss / bc_loss / cc_loss give them;
    ``dense``: our extension's class correlations averaged over the rows (pixels)."""
    m, k = student.shape
    ins = bc = cc = 0
    for tau in temps:
        p, q = softmax_rows(student, tau), softmax_rows(teacher.detach(), tau)
        kl = sum(q[r][c] * (q[r][c].log() - p[r][c].log()) for r in range(m) for c in range(k))
        ins = ins + tau**2 * kl / m                               # batchmean · τ²
        gram = sum((sum(p[a][c] * p[b][c] for c in range(k))
                    - sum(q[a][c] * q[b][c] for c in range(k))) ** 2
                   for a in range(m) for b in range(m))
        corr = sum(((sum(p[r][i] * p[r][j] for r in range(m))
                     - sum(q[r][i] * q[r][j] for r in range(m))) / (m if dense else 1)) ** 2
                   for i in range(k) for j in range(k))
        if reduction == 'mst':                                    # F.mse_loss: mean of entries
            bc, cc = bc + gram / m**2, cc + corr / k**2
        else:                                                     # sum / B, sum / C
            bc, cc = bc + gram / m, cc + corr / k
    if reduction == 'mst':                                        # / len(temps) / 3
        scale = 1 / (3 * len(temps))
        return ins * scale, bc * scale, cc * scale
    return ins, bc, cc


def rel_diff(actual, expected):
    return float(((actual - expected).abs() / expected.abs().clamp_min(1e-12)).max())


def check(loss, student, teacher, target=None, **reference_kwargs):
    """Terms and the student's gradient against the reference; the worst relative difference."""
    s_ours = student.clone().requires_grad_(True)
    out = loss(s_ours, teacher, target)
    sum(out.values()).backward()
    s_ref = student.clone().requires_grad_(True)
    ref = reference_mlld(s_ref, teacher, **reference_kwargs)
    sum(ref).backward()
    worst = max([rel_diff(out[key].detach(), value.detach()) for key, value in
                 zip(('loss_instance', 'loss_batch', 'loss_class'), ref)]
                + [rel_diff(s_ours.grad, s_ref.grad)])
    assert worst <= TOL, worst
    return worst


def test_hand_computed_single_temperature():
    # Uniform student over 2 classes; teacher (3/4, 1/4) at τ = 1 (logit gap ln 3), 1 row.
    student = torch.zeros(1, 2, dtype=torch.float64)
    teacher = torch.tensor([[math.log(3.0), 0.0]], dtype=torch.float64)
    out = MLLDLoss(temperatures=(1.0,), reduction='paper')(student, teacher)
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert out['loss_instance'].item() == pytest.approx(kl, rel=1e-12)
    # Gram (1×1): 1/2 vs 5/8 -> (1/8)²; class correlation: [[1/4,1/4],[1/4,1/4]] vs
    # [[9/16, 3/16],[3/16, 1/16]] -> (5/16)² + 2 (1/16)² + (3/16)² = 36/256, / K = 2.
    assert out['loss_batch'].item() == pytest.approx(1 / 64, rel=1e-12)
    assert out['loss_class'].item() == pytest.approx(36 / 256 / 2, rel=1e-12)


def test_value_and_gradient_match_reference_both_reductions():
    gen = torch.Generator().manual_seed(0)
    student = torch.randn(6, 4, generator=gen, dtype=torch.float64) * 3
    teacher = torch.randn(6, 4, generator=gen, dtype=torch.float64) * 3
    check(MLLDLoss(), student, teacher)
    check(MLLDLoss(reduction='paper', temperatures=(1.0, 4.0)), student, teacher,
          temps=(1.0, 4.0), reduction='paper')


def test_large_batch_path_equals_the_gram_matrix(monkeypatch):
    # The K×K identity used for many rows (dense maps) must give the M×M Gram's value.
    gen = torch.Generator().manual_seed(1)
    student = torch.randn(7, 3, generator=gen, dtype=torch.float64)
    teacher = torch.randn(7, 3, generator=gen, dtype=torch.float64)
    monkeypatch.setattr(mlld, 'GRAM_ROWS_LIMIT', 0)
    check(MLLDLoss(), student, teacher)


def test_dense_rows_skip_ignored_pixels():
    gen = torch.Generator().manual_seed(2)
    student = torch.randn(2, 3, 2, 2, generator=gen, dtype=torch.float64)
    teacher = torch.randn(2, 3, 2, 2, generator=gen, dtype=torch.float64)
    target = torch.tensor([[[0, 1], [255, 2]], [[255, 255], [1, 0]]])
    keep = (target != 255).reshape(-1)
    rows_s = student.permute(0, 2, 3, 1).reshape(-1, 3)[keep]
    rows_t = teacher.permute(0, 2, 3, 1).reshape(-1, 3)[keep]
    out = MLLDLoss()(student, teacher, target)
    ref = reference_mlld(rows_s, rows_t, dense=True)
    for key, value in zip(('loss_instance', 'loss_batch', 'loss_class'), ref):
        assert out[key].item() == pytest.approx(value.item(), rel=TOL)


def test_teacher_gets_no_gradient_and_bad_reduction_raises():
    student = torch.randn(3, 4, requires_grad=True)
    teacher = torch.randn(3, 4, requires_grad=True)
    sum(MLLDLoss()(student, teacher).values()).backward()
    assert student.grad.abs().sum() > 0 and teacher.grad is None
    with pytest.raises(ValueError, match='reduction'):
        MLLDLoss(reduction='sum')
