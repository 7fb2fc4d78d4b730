"""RKDLoss against a loop re-derivation of lenscloth/RKD's distance and angle losses.

The reference below is written from the official formulas with explicit loops over pairs and
triples, in float64; values and gradients must agree to 1e-6 (relative).
"""
import pytest
import torch

from fdkd_mm.models.losses.rkd import RKDLoss

TOL = 1e-6


def smooth_l1(u):
    return 0.5 * u * u if abs(float(u.detach())) < 1 else abs(u) - 0.5


def reference_rkd(student, teacher, w_d=25.0, w_a=50.0, normalize=True):
    """w_d · mean smoothL1 of normalised distances + w_a · mean smoothL1 of vertex cosines."""
    n = len(student)

    def prepare(x):
        rows = [x[i] for i in range(n)]
        if normalize:
            rows = [r / (r * r).sum().sqrt() for r in rows]
        return rows

    def distances(rows):
        d = [[(rows[i] - rows[j]).pow(2).sum().sqrt() if i != j else rows[i].new_zeros(())
              for j in range(n)] for i in range(n)]
        mean = sum(d[i][j] for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
        return [[d[i][j] / mean for j in range(n)] for i in range(n)]

    def unit(v):
        norm = v.pow(2).sum().sqrt()
        return v / norm if float(norm.detach()) > 0 else v * 0

    def cosines(rows):
        return [[[unit(rows[j] - rows[i]).dot(unit(rows[k] - rows[i])) for k in range(n)]
                 for j in range(n)] for i in range(n)]

    s, t = prepare(student), prepare(teacher.detach())
    ds, dt = distances(s), distances(t)
    loss_d = sum(smooth_l1(ds[i][j] - dt[i][j]) for i in range(n) for j in range(n)) / n**2
    cs, ct = cosines(s), cosines(t)
    loss_a = sum(smooth_l1(cs[i][j][k] - ct[i][j][k])
                 for i in range(n) for j in range(n) for k in range(n)) / n**3
    return w_d * loss_d, w_a * loss_a


def rel_diff(actual, expected):
    return float(((actual - expected).abs() / expected.abs().clamp_min(1e-12)).max())


def check_against_reference(loss, student, teacher, **reference_kwargs):
    """Compare both terms and the student's gradient; return the worst relative difference."""
    s_ours = student.clone().requires_grad_(True)
    out = loss(s_ours, teacher)
    (out['loss_distance'] + out['loss_angle']).backward()
    s_ref = student.clone().requires_grad_(True)
    ref_d, ref_a = reference_rkd(s_ref, teacher, **reference_kwargs)
    (ref_d + ref_a).backward()
    worst = max(rel_diff(out['loss_distance'].detach(), ref_d.detach()),
                rel_diff(out['loss_angle'].detach(), ref_a.detach()),
                rel_diff(s_ours.grad, s_ref.grad))
    assert worst <= TOL, worst
    return worst


def test_hand_computed_collinear_points():
    # Student 0, 1, 2 on a line; teacher 0, 1, 3: distances /mean: student (1,2,1)/(4/3),
    # teacher (1,3,2)/2. Both have all angles 0 or 180 degrees (cosines ±1, identical) -> L_A = 0.
    student = torch.tensor([[0.0], [1.0], [2.0]], dtype=torch.float64)
    teacher = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)
    out = RKDLoss(distance_weight=1.0, angle_weight=1.0, normalize=False)(student, teacher)
    ps = {(0, 1): 0.75, (0, 2): 1.5, (1, 2): 0.75}
    pt = {(0, 1): 0.5, (0, 2): 1.5, (1, 2): 1.0}
    expected = 2 * sum(0.5 * (ps[k] - pt[k]) ** 2 for k in ps) / 9
    assert out['loss_distance'].item() == pytest.approx(expected, rel=1e-12)
    assert out['loss_angle'].item() == pytest.approx(0.0, abs=1e-12)


def test_value_and_gradient_match_reference():
    gen = torch.Generator().manual_seed(0)
    student = torch.randn(5, 7, generator=gen, dtype=torch.float64)
    teacher = torch.randn(5, 3, generator=gen, dtype=torch.float64) * 4
    check_against_reference(RKDLoss(), student, teacher)
    check_against_reference(RKDLoss(distance_weight=1.0, angle_weight=2.0, normalize=False),
                            student * 3, teacher, w_d=1.0, w_a=2.0, normalize=False)


def test_maps_are_averaged_over_space():
    gen = torch.Generator().manual_seed(1)
    student = torch.randn(4, 3, 2, 2, generator=gen, dtype=torch.float64)
    teacher = torch.randn(4, 5, 3, 3, generator=gen, dtype=torch.float64)
    out = RKDLoss()(student, teacher)
    ref_d, ref_a = reference_rkd(student.mean(dim=(2, 3)), teacher.mean(dim=(2, 3)))
    assert out['loss_distance'].item() == pytest.approx(ref_d.item(), rel=TOL)
    assert out['loss_angle'].item() == pytest.approx(ref_a.item(), rel=TOL)


def test_mst_embedding_variant_matches_reference_with_its_weights():
    gen = torch.Generator().manual_seed(2)
    student = torch.randn(5, 6, generator=gen, dtype=torch.float64)
    teacher = torch.randn(5, 4, generator=gen, dtype=torch.float64)
    loss = RKDLoss(distance_weight=1.0, angle_weight=2.0, embed_dim=3, student_channels=6,
                   teacher_channels=4).double()
    assert loss.input_channels() == dict(student_feat=6, teacher_feat=4)
    es, et = loss.embed_student.linear, loss.embed_teacher.linear
    embedded_s = student @ es.weight.detach().t() + es.bias.detach()
    embedded_t = teacher @ et.weight.detach().t() + et.bias.detach()
    out = loss(student, teacher)
    # The linear embeddings then L2 normalisation = the reference's normalize=True.
    ref_d, ref_a = reference_rkd(embedded_s, embedded_t, w_d=1.0, w_a=2.0)
    assert out['loss_distance'].item() == pytest.approx(ref_d.item(), rel=TOL)
    assert out['loss_angle'].item() == pytest.approx(ref_a.item(), rel=TOL)
    (out['loss_distance'] + out['loss_angle']).backward()
    # As in MST-Distill, the teacher's relations are computed without gradient, so its
    # embedding never trains (it stays a fixed random projection); the student's does.
    assert es.weight.grad.abs().sum() > 0 and et.weight.grad is None
    with pytest.raises(ValueError, match='student_channels'):
        RKDLoss(embed_dim=3)


def test_teacher_gets_no_gradient():
    student = torch.randn(4, 3, requires_grad=True)
    teacher = torch.randn(4, 3, requires_grad=True)
    out = RKDLoss()(student, teacher)
    (out['loss_distance'] + out['loss_angle']).backward()
    assert student.grad.abs().sum() > 0 and teacher.grad is None
    with pytest.raises(ValueError, match='batches'):
        RKDLoss()(torch.randn(4, 3), torch.randn(3, 3))
