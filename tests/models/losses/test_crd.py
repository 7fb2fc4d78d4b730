"""CRDLoss against a loop re-derivation of RepDistiller's CRD; its memory bank's update rule,
checkpointing and exact resumption.

The reference recomputes the embeddings, the exponentiated similarities to the memory rows,
the normalisers Z of the first step and the NCE posteriors of each pair with explicit loops,
in float64; values and gradients must agree to 1e-6 (relative).
"""
import math

import pytest
import torch

from fdkd_mm.errors import ConfigError, DataError
from fdkd_mm.models.losses.crd import CRDLoss

TOL = 1e-6


def reference_crd(loss, student_feat, teacher_feat, contrast_idx, memory_s, memory_t,
                  normalizers=None):
    """RepDistiller's CRD on explicit loops; returns (loss, new normalizers)."""
    def embed(linear, x):
        out = []
        for row in x:
            e = [sum(linear.weight[d, c] * row[c] for c in range(len(row))) + linear.bias[d]
                 for d in range(linear.out_features)]
            norm = sum(v * v for v in e).sqrt()
            out.append([v / norm for v in e])
        return out

    s = embed(loss.embed_student.linear, student_feat)
    t = embed(loss.embed_teacher.linear, teacher_feat.detach())
    n, width = len(s), contrast_idx.shape[1]
    rows, tau = memory_s.shape[0], loss.temperature
    v = [[(sum(memory_t[j, d] * s[i][d] for d in range(len(s[i]))) / tau).exp()
          for j in contrast_idx[i].tolist()] for i in range(n)]
    u = [[(sum(memory_s[j, d] * t[i][d] for d in range(len(t[i]))) / tau).exp()
          for j in contrast_idx[i].tolist()] for i in range(n)]
    if normalizers is None:  # Z = M · mean of the first step's scores
        normalizers = (float(sum(sum(r) for r in v).detach()) / (n * width) * rows,
                       float(sum(sum(r) for r in u).detach()) / (n * width) * rows)
    noise = (width - 1) / rows

    def nce(x, z):
        total = 0
        for i in range(n):
            p = [val / z for val in x[i]]
            total = total + (p[0] / (p[0] + noise + 1e-7)).log()
            for k in range(1, width):
                total = total + (noise / (p[k] + noise + 1e-7)).log()
        return -total / n

    return loss.loss_weight * (nce(v, normalizers[0]) + nce(u, normalizers[1])), normalizers


def make(num_samples=10, k=4, **kwargs):
    torch.manual_seed(0)
    return CRDLoss(student_channels=5, teacher_channels=3, num_samples=num_samples, embed_dim=4,
                   num_negatives=k, **kwargs).double()


def fixed_batch():
    gen = torch.Generator().manual_seed(1)
    student = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    teacher = torch.randn(3, 3, generator=gen, dtype=torch.float64)
    sample_idx = torch.tensor([2, 7, 4])
    negatives = torch.randint(0, 10, (3, 4), generator=gen)
    contrast_idx = torch.cat([sample_idx[:, None], negatives], dim=1)
    return student, teacher, sample_idx, contrast_idx


def rel(a, b):
    return float(((a - b).abs() / b.abs().clamp_min(1e-12)).max())


def test_value_and_gradients_match_reference():
    loss = make()
    student, teacher, sample_idx, contrast_idx = fixed_batch()
    memory_s = loss.memory.memory_student.clone()
    memory_t = loss.memory.memory_teacher.clone()
    s_ours = student.clone().requires_grad_(True)
    ours = loss(s_ours, teacher, sample_idx, contrast_idx)
    ours.backward()
    grads = [s_ours.grad] + [p.grad.clone() for p in loss.parameters()]
    loss.zero_grad()
    s_ref = student.clone().requires_grad_(True)
    ref, normalizers = reference_crd(loss, s_ref, teacher, contrast_idx, memory_s, memory_t)
    ref.backward()
    ref_grads = [s_ref.grad] + [p.grad for p in loss.parameters()]
    worst = max([rel(ours.detach(), ref.detach())] + [rel(a, b) for a, b in zip(grads, ref_grads)])
    assert worst <= TOL, worst
    # The teacher's embedding trains too (its anchor scores the student memory).
    assert loss.embed_teacher.linear.weight.grad.abs().sum() > 0
    for ours_z, ref_z in zip(loss.memory.normalizers.tolist(), normalizers):
        assert ours_z == pytest.approx(ref_z, rel=1e-12)


def test_normalizers_are_set_once_then_kept():
    loss = make()
    student, teacher, sample_idx, contrast_idx = fixed_batch()
    loss(student, teacher, sample_idx, contrast_idx)
    first = loss.memory.normalizers.clone()
    loss(student * 2, teacher, sample_idx, contrast_idx)
    assert torch.equal(loss.memory.normalizers, first)


def test_memory_update_rule():
    loss = make(momentum=0.25)
    student, teacher, sample_idx, contrast_idx = fixed_batch()
    before_s = loss.memory.memory_student.clone()
    before_t = loss.memory.memory_teacher.clone()
    with torch.no_grad():
        s_emb = loss.embed_student(student)
        t_emb = loss.embed_teacher(teacher)
    loss(student, teacher, sample_idx, contrast_idx)
    for memory, before, emb in ((loss.memory.memory_student, before_s, s_emb),
                                (loss.memory.memory_teacher, before_t, t_emb)):
        for row, idx in enumerate(sample_idx.tolist()):
            mixed = 0.25 * before[idx] + 0.75 * emb[row]
            assert torch.allclose(memory[idx], mixed / mixed.norm(), rtol=1e-12, atol=1e-14)
        untouched = [i for i in range(10) if i not in sample_idx.tolist()]
        assert torch.equal(memory[untouched], before[untouched])
    # No update in eval mode.
    loss.eval()
    frozen = loss.memory.memory_student.clone()
    loss(student, teacher, sample_idx, contrast_idx)
    assert torch.equal(loss.memory.memory_student, frozen)


def test_initial_memory_is_uniform_in_the_official_range():
    loss = CRDLoss(student_channels=2, teacher_channels=2, num_samples=500, embed_dim=12)
    bound = 1 / math.sqrt(12 / 3)
    for memory in (loss.memory.memory_student, loss.memory.memory_teacher):
        assert memory.shape == (500, 12)
        assert memory.abs().max() <= bound and memory.abs().max() > 0.9 * bound
    assert loss.memory.normalizers.tolist() == [-1.0, -1.0]


def test_checkpoint_round_trip_resumes_exactly():
    loss = make()
    student, teacher, sample_idx, contrast_idx = fixed_batch()
    loss(student, teacher, sample_idx, contrast_idx)            # bank and Z now differ from init
    state = {k: v.clone() for k, v in loss.state_dict().items()}
    assert {'memory.memory_student', 'memory.memory_teacher', 'memory.normalizers'} <= set(state)
    # A loss built without num_samples adopts the checkpoint's bank (resume, tools/test.py).
    resumed = CRDLoss(student_channels=5, teacher_channels=3, embed_dim=4,
                      num_negatives=4).double()
    assert resumed.memory.num_samples == 0
    resumed.load_state_dict(state)
    for step in range(2):
        a = loss(student + step, teacher, sample_idx, contrast_idx)
        b = resumed(student + step, teacher, sample_idx, contrast_idx)
        assert a.item() == b.item()
    assert torch.equal(loss.memory.memory_teacher, resumed.memory.memory_teacher)
    # A bank of another size is refused, naming both shapes.
    other = make(num_samples=11)
    with pytest.raises(DataError, match='shape'):
        other.load_state_dict(state)


def test_uniform_negatives_keep_the_positive_first():
    loss = make(num_samples=50, k=30)
    idx = loss.draw_indices(torch.tensor([3, 9]))
    assert idx.shape == (2, 31) and idx[:, 0].tolist() == [3, 9]
    assert int(idx.min()) >= 0 and int(idx.max()) < 50


def test_missing_bank_and_bad_indices_are_user_errors():
    loss = CRDLoss(student_channels=5, teacher_channels=3, embed_dim=4, num_negatives=2)
    with pytest.raises(ConfigError, match='num_samples'):
        loss(torch.randn(2, 5), torch.randn(2, 3), torch.tensor([0, 1]))
    loss.set_num_samples(4)
    assert loss.memory.num_samples == 4
    with pytest.raises(ConfigError, match='training set has 5'):
        loss.set_num_samples(5)
    with pytest.raises(DataError, match='out of'):
        loss(torch.randn(2, 5), torch.randn(2, 3), torch.tensor([0, 4]))
    assert loss.input_channels() == dict(student_feat=5, teacher_feat=3)
