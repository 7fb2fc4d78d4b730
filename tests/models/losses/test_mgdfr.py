"""MGDFR's three pieces against loop re-derivations of MST-Distill's MGDFR.

* co-training: MSE of the two networks' logits, gradients to both;
* salience: each channel shuffled across the batch by explicit permutations (drawn in the
  same order), the teacher's classifier rerun on the shuffled feature, MSE to the student,
  averaged over repeats and summed over batches, min-max normalised;
* KD: the lowest-salience 75 % of channels set to their batch mean, the classifier rerun,
  τ²·KL(teacher ‖ student) with loops; values and gradients to 1e-6 (relative).
"""
import math

import pytest
import torch
from torch import nn

from fdkd_mm.errors import ConfigError, DataError
from fdkd_mm.models.losses.mgdfr import MGDFRCoTrainLoss, MGDFRLoss, MGDFRSalience

TOL = 1e-6


def rel(a, b):
    return float(((a - b).abs() / b.abs().clamp_min(1e-12)).max())


def test_cotrain_is_mse_with_gradients_to_both():
    student = torch.tensor([[1.0, 2.0]], requires_grad=True)
    teacher = torch.tensor([[0.0, 4.0]], requires_grad=True)
    loss = MGDFRCoTrainLoss()(student, teacher)
    assert loss.item() == pytest.approx((1 + 4) / 2)
    loss.backward()
    assert student.grad.tolist() == [[1.0, -2.0]] and teacher.grad.tolist() == [[-1.0, 2.0]]


def reference_salience(batches, weight, bias, repeats, seed):
    """Explicit shuffles: for each batch, repeat, channel, a fresh randperm (same order)."""
    gen = torch.Generator().manual_seed(seed)
    channels = weight.shape[1]
    total = [0.0] * channels
    for feat, student in batches:
        per_repeat = []
        for _ in range(repeats):
            perms = [torch.randperm(len(feat), generator=gen) for _ in range(channels)]
            row = []
            for c in range(channels):
                shuffled = feat.clone()
                shuffled[:, c] = feat[perms[c], c]
                if feat.dim() == 2:
                    logits = shuffled @ weight.t() + bias
                else:
                    logits = nn.functional.conv2d(shuffled, weight[:, :, None, None], bias)
                row.append(float(((logits - student) ** 2).mean()))
            per_repeat.append(row)
        for c in range(channels):
            total[c] += sum(r[c] for r in per_repeat) / repeats
    low, high = min(total), max(total)
    return torch.tensor([(v - low) / (high - low) for v in total], dtype=torch.float64)


@pytest.mark.parametrize('dense', [False, True])
def test_salience_matches_explicit_shuffles(dense):
    gen = torch.Generator().manual_seed(0)
    weight = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    bias = torch.randn(3, generator=gen, dtype=torch.float64)
    shape = (4, 5, 2, 3) if dense else (4, 5)
    batches = []
    for _ in range(2):
        feat = torch.randn(*shape, generator=gen, dtype=torch.float64)
        student = torch.randn(4, 3, *shape[2:], generator=gen, dtype=torch.float64)
        batches.append((feat, student))
    acc = MGDFRSalience(repeats=3, seed=7)
    head = weight[:, :, None, None] if dense else weight
    for feat, student in batches:
        assert acc(feat, head, student, bias) == {}
    worst = rel(acc.salience().double(), reference_salience(batches, weight, bias, 3, 7))
    # The min-max ends are exactly 0 and 1; compare the interior relatively (float32 output).
    assert worst <= 1e-6, worst


def reference_mgdfr(student_logits, feat, weight, bias, salience, ratio, tau):
    """Freeze the lowest-salience channels to their batch mean, rerun the classifier, τ²·KL."""
    channels = feat.shape[1]
    order = sorted(range(channels), key=lambda c: float(salience[c]))
    frozen = order[:int(ratio * channels)]
    n, k = student_logits.shape
    f = [[feat[i, c] if c not in frozen else sum(feat[j, c] for j in range(n)) / n
          for c in range(channels)] for i in range(n)]
    teacher = [[sum(weight[q, c] * f[i][c] for c in range(channels)) + bias[q]
                for q in range(k)] for i in range(n)]
    total = 0
    for i in range(n):
        t_den = sum(math.exp(float(v) / tau) for v in teacher[i])
        s_den = sum((student_logits[i, q] / tau).exp() for q in range(k))
        for q in range(k):
            p_t = math.exp(float(teacher[i][q]) / tau) / t_den
            p_s = (student_logits[i, q] / tau).exp() / s_den
            total = total + p_t * (math.log(p_t) - p_s.log())
    return tau**2 * total / n


def test_kd_value_and_gradient_match_reference():
    gen = torch.Generator().manual_seed(1)
    feat = torch.randn(3, 8, generator=gen, dtype=torch.float64)
    weight = torch.randn(4, 8, generator=gen, dtype=torch.float64)
    bias = torch.randn(4, generator=gen, dtype=torch.float64)
    student = torch.randn(3, 4, generator=gen, dtype=torch.float64)
    salience = torch.tensor([0.9, 0.1, 0.5, 1.0, 0.0, 0.3, 0.7, 0.2])
    loss = MGDFRLoss()
    loss.set_salience(salience)
    assert sorted(loss.frozen_channels().tolist()) == sorted([4, 1, 7, 5, 2, 6])
    s_ours = student.clone().requires_grad_(True)
    ours = loss(s_ours, feat, weight, bias)
    ours.backward()
    s_ref = student.clone().requires_grad_(True)
    ref = reference_mgdfr(s_ref, feat, weight, bias, salience, 0.75, 4.0)
    ref.backward()
    worst = max(rel(ours.detach(), ref.detach()), rel(s_ours.grad, s_ref.grad))
    assert worst <= TOL, worst


def test_recomputed_logits_equal_rerunning_the_classifier_on_the_frozen_map():
    # The official hook freezes the map inside the network; pooling + linear head afterwards.
    gen = torch.Generator().manual_seed(2)
    fmap = torch.randn(3, 4, 2, 2, generator=gen, dtype=torch.float64)
    head = nn.Linear(4, 5).double()
    loss = MGDFRLoss(ratio=0.5)
    loss.set_salience(torch.tensor([0.2, 0.9, 0.0, 0.5]))   # freezes channels 2 and 0
    frozen_map = fmap.clone()
    frozen_map[:, [0, 2]] = fmap[:, [0, 2]].mean(dim=0)
    teacher = head(frozen_map.mean(dim=(2, 3))).detach()
    student = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    expected = 16 * (teacher.div(4).softmax(1) * (teacher.div(4).log_softmax(1)
                                                   - student.div(4).log_softmax(1))).sum(1).mean()
    ours = loss(student, fmap.mean(dim=(2, 3)), head.weight, head.bias)
    assert ours.item() == pytest.approx(expected.item(), rel=1e-12)


def test_salience_file_checkpoint_and_errors(tmp_path):
    loss = MGDFRLoss(salience_file=str(tmp_path / 'missing.pth'))
    with pytest.raises(ConfigError, match='mgdfr_salience'):
        loss(torch.randn(2, 3), torch.randn(2, 4), torch.randn(3, 4), torch.randn(3))
    torch.save(torch.tensor([0.0, 1.0, 0.5, 0.25]), tmp_path / 'salience.pth')
    loss = MGDFRLoss(salience_file=str(tmp_path / 'salience.pth'))
    loss(torch.randn(2, 3), torch.randn(2, 4), torch.randn(3, 4), torch.randn(3))
    assert loss.salience.tolist() == [0.0, 1.0, 0.5, 0.25]
    resumed = MGDFRLoss(salience_file=str(tmp_path / 'missing.pth'))
    resumed.load_state_dict(loss.state_dict())         # a checkpoint brings the salience
    assert torch.equal(resumed.salience, loss.salience)
    with pytest.raises(DataError, match='channels'):
        resumed(torch.randn(2, 3), torch.randn(2, 5), torch.randn(3, 5), torch.randn(3))
    with pytest.raises(ConfigError, match='ratio'):
        MGDFRLoss(ratio=1.0)
