"""UnpairedCMKDLoss against the published formulas, written out here and computed with POT on
fixed tensors: FA (the Sinkhorn cost of L2-normalised batches) and LA (the student's feature
through the teacher's classifier), values and gradients, permuted and unequal batches, the
bank as the teacher's source, and bad input refused with the key and shape named."""
import copy

import ot
import pytest
import torch
import torch.nn.functional as F

from fdkd_mm.models.banks import (BANK_FORMAT, BANK_VERSION, BankAccumulator,
                                  classifier_entry)
from fdkd_mm.models.losses import UnpairedCMKDLoss
from fdkd_mm.models.losses.ot_feature_align import cosine_cost, sinkhorn_feature_cost

K, D = 5, 16
TOLERANCE = 1e-6  # relative, values and gradients


def relative(ours: torch.Tensor, reference: torch.Tensor) -> float:
    """max |ours − reference| / max |reference|."""
    return float((ours - reference).abs().max() / reference.abs().max())


def reference_fa(student, teacher, clamp=True):
    """The authors' FA, written out: x / (‖x‖ + 1e-8), M = 1 − S Tᵀ (clamped at 0),
    uniform marginals ones / B, POT's sinkhorn2 with reg 0.1 and 100 iterations."""
    s = student / (student.norm(dim=1, keepdim=True) + 1e-8)
    t = teacher / (teacher.norm(dim=1, keepdim=True) + 1e-8)
    cost = 1 - torch.matmul(s, t.transpose(0, 1))
    if clamp:
        cost = torch.clamp(cost, min=0.0)
    a = torch.ones(len(student), dtype=cost.dtype) / len(student)
    b = torch.ones(len(teacher), dtype=cost.dtype) / len(teacher)
    return ot.sinkhorn2(a, b, cost, reg=0.1, numItermax=100)


def reference_la(feat, logits, weight, bias, labels, teacher_grad=True):
    """The authors' LA: sumall, nll of log p_S − κ·log p_T with κ = p_T detached; bilevel,
    CE(z) − κ_y·CE(h_T(f)) with h_T(f) under no_grad."""
    if teacher_grad:
        head = feat @ weight.T + bias
        kappa = F.softmax(head, dim=-1).detach()
        log_ratio = F.log_softmax(logits, dim=-1) - kappa * F.log_softmax(head, dim=-1)
        return F.nll_loss(log_ratio, labels)
    with torch.no_grad():
        head = feat @ weight.T + bias
    kappa = F.softmax(head, dim=-1).gather(1, labels[:, None]).squeeze(1)
    return (F.cross_entropy(logits, labels, reduction='none')
            - kappa * F.cross_entropy(head, labels, reduction='none')).mean()


def leaf(tensor):
    return tensor.detach().clone().requires_grad_(True)


@pytest.fixture
def batch():
    gen = torch.Generator().manual_seed(0)
    return dict(student=torch.randn(8, D, generator=gen), teacher=torch.randn(8, D, generator=gen),
                logits=2 * torch.randn(8, K, generator=gen),
                weight=torch.randn(K, D, generator=gen) / 4, bias=torch.randn(K, generator=gen),
                labels=torch.arange(8) % K)


def test_the_cost_is_one_minus_the_cosine_clamped_at_zero():
    student = torch.tensor([[3.0, 4.0], [1.0, 0.0]])
    teacher = torch.tensor([[0.0, 2.0], [-2.0, 0.0], [6.0, 8.0]])
    # By hand: 1 - cos, with the norms 5, 1 (student) and 2, 2, 10 (teacher).
    expected = torch.tensor([[1 - 0.8, 1 + 0.6, 0.0], [1.0, 2.0, 1 - 0.6]])
    assert torch.allclose(cosine_cost(student, teacher, eps=0.0), expected, atol=1e-6)
    # A negative epsilon makes the norms too small: 1 - n² / (n + eps)² < 0 on parallel rows,
    # which the clamp (sumall) sets to 0 and the unclamped cost (bilevel) keeps.
    eps = -0.01
    parallel = 1 - 5.0 ** 2 / ((5 + eps) * (10 + eps)) * 2
    unclamped = cosine_cost(student, teacher, eps=eps, clamp=False)
    assert float(unclamped[0, 2]) == pytest.approx(parallel, abs=1e-6) and parallel < -1e-3
    assert float(cosine_cost(student, teacher, eps=eps)[0, 2]) == 0.0


def fa_and_grads(function, student, teacher):
    student, teacher = leaf(student), leaf(teacher)
    value = function(student, teacher)
    value.backward()
    return value.detach(), student.grad, teacher.grad


@pytest.mark.parametrize('clamp', [True, False])
def test_fa_value_and_gradients_of_both_batches_match_pot(batch, clamp):
    ours = fa_and_grads(lambda s, t: sinkhorn_feature_cost(s, t, clamp_cost=clamp),
                        batch['student'], batch['teacher'])
    reference = fa_and_grads(lambda s, t: reference_fa(s, t, clamp), batch['student'],
                             batch['teacher'])
    for mine, theirs in zip(ours, reference):
        assert relative(mine, theirs) <= TOLERANCE
    assert 0.0 < float(ours[0]) < 2.0  # a mean cosine distance


def test_fa_of_a_permuted_teacher_batch_is_the_ot_value_of_the_paired_one(batch):
    """The teacher batch holds the paired samples in another order: FA does not see the
    order, so it equals FA on the pairs as given, and is not the per-sample paired cost. In
    float64: reordering the sums changes float32 gradients by a few 1e-6."""
    student, paired = batch['student'].double(), batch['teacher'].double()
    permuted = paired[torch.tensor([3, 7, 0, 5, 1, 6, 2, 4])]
    loss = UnpairedCMKDLoss(K, D, terms=dict(fa=True, la=False), teacher_source='batch')
    on_pairs = fa_and_grads(lambda s, t: reference_fa(s, t), student, paired)
    s = leaf(student)
    ours = loss(batch['labels'], s, teacher_feat=permuted)['distill.loss_fa']
    ours.backward()
    assert relative(ours.detach(), on_pairs[0]) <= TOLERANCE
    assert relative(s.grad, on_pairs[1]) <= TOLERANCE
    # Per-sample alignment would compare student i with teacher row i: another number.
    per_sample = (1 - F.cosine_similarity(student, permuted, eps=1e-8)).mean()
    assert abs(float(per_sample) - float(ours.detach())) > 0.05


def test_fa_between_batches_of_unequal_size(batch):
    student, teacher = batch['student'][:5], torch.cat([batch['teacher'], batch['student'][:3]])
    loss = UnpairedCMKDLoss(K, D, terms=dict(fa=True, la=False), teacher_source='batch')
    s = leaf(student)
    ours = loss(batch['labels'][:5], s, teacher_feat=teacher)['distill.loss_fa']
    ours.backward()
    reference = fa_and_grads(lambda x, t: reference_fa(x, t), student, teacher)
    assert relative(ours.detach(), reference[0]) <= TOLERANCE
    assert relative(s.grad, reference[1]) <= TOLERANCE


def hand_sinkhorn(a, b, cost, reg=0.1, iterations=100, stop=1e-9):
    """Sinkhorn-Knopp as POT iterates it (u, v from ones / n, the marginal error checked every
    10th iteration), differentiable by autograd; returns ⟨P, M⟩ and P."""
    kernel = torch.exp(-cost / reg)
    u = torch.ones(len(a), dtype=cost.dtype) / len(a)
    for step in range(iterations):
        v = b / (kernel.T @ u)
        u = 1.0 / ((kernel / a[:, None]) @ v)
        if step % 10 == 0 and torch.linalg.norm((u[:, None] * kernel * v[None]).sum(0) - b) < stop:
            break
    plan = u[:, None] * kernel * v[None]
    return (plan * cost).sum(), plan


def test_pots_gradient_runs_through_the_sinkhorn_iterations(batch):
    """What "gradients as POT gives them" means for ot.sinkhorn2 on torch tensors: autograd
    through the iterations (our hand-written Sinkhorn gives the same gradient), not the
    envelope gradient ∂/∂M = P with the plan held fixed."""
    student, teacher = batch['student'].double(), batch['teacher'].double()
    cost = leaf((1 - F.normalize(student, eps=1e-8) @ F.normalize(teacher, eps=1e-8).T))
    a, b = torch.ones(8, dtype=torch.float64) / 8, torch.ones(8, dtype=torch.float64) / 8
    pot_grad, = torch.autograd.grad(ot.sinkhorn2(a, b, cost, reg=0.1, numItermax=100), cost)
    value, plan = hand_sinkhorn(a, b, cost)
    hand_grad, = torch.autograd.grad(value, cost)
    assert relative(pot_grad, hand_grad) <= 1e-9
    assert relative(pot_grad, plan.detach()) > 1e-3


@pytest.mark.parametrize('teacher_grad', [True, False])
def test_la_value_and_gradients_match_the_formula(batch, teacher_grad):
    loss = UnpairedCMKDLoss(K, D, terms=dict(fa=False, la=True), teacher_source='batch',
                            la_teacher_grad=teacher_grad)
    feat, logits = leaf(batch['student']), leaf(batch['logits'])
    ours = loss(batch['labels'], feat, logits, teacher_head_weight=batch['weight'],
                teacher_head_bias=batch['bias'])['distill.loss_la']
    ours.backward()
    ref_feat, ref_logits = leaf(batch['student']), leaf(batch['logits'])
    reference = reference_la(ref_feat, ref_logits, batch['weight'], batch['bias'],
                             batch['labels'], teacher_grad)
    reference.backward()
    assert relative(ours.detach(), reference.detach()) <= TOLERANCE
    assert relative(logits.grad, ref_logits.grad) <= TOLERANCE
    if teacher_grad:
        assert relative(feat.grad, ref_feat.grad) <= TOLERANCE
    else:  # bilevel: the teacher term is a constant, nothing reaches the feature
        assert ref_feat.grad is None and (feat.grad is None or not feat.grad.any())


def bank(features, labels, weight=None, bias=None, keep_samples=True):
    """A bank of these pooled teacher features (and classifier), as the builder makes one."""
    loss = UnpairedCMKDLoss(K, D)
    accumulator = BankAccumulator(K, 1, D, keep_samples=keep_samples)
    accumulator.add(loss.standardized_bands(features), labels, torch.full((len(labels), K), 0.2),
                    features, [f'{i:03d}' for i in range(len(labels))])
    tensors = accumulator.finalize(allow_missing_classes=True)
    manifest = dict(loss.bank_layout(), layout='pooled')
    if weight is not None:
        classifier, record = classifier_entry(weight, bias, 'head.fc')
        tensors.update(classifier)
        manifest['classifier'] = record
    return dict(format=BANK_FORMAT, version=BANK_VERSION, manifest=manifest, tensors=tensors)


def test_from_a_bank_fa_replays_a_random_teacher_batch_and_la_uses_its_classifier(batch):
    gen = torch.Generator().manual_seed(1)
    teacher = torch.randn(20, D, generator=gen)
    loss = UnpairedCMKDLoss(K, D, teacher_batch_size=6)
    loss.load_bank(bank(teacher, torch.arange(20) % K, batch['weight'], batch['bias']))
    feat, logits = leaf(batch['student']), leaf(batch['logits'])
    torch.manual_seed(7)
    ours = loss(batch['labels'], feat, logits)
    torch.manual_seed(7)
    drawn = teacher[torch.randperm(20)[:6]]
    assert len(set(torch.randperm(20)[:6].tolist())) == 6  # without replacement
    assert relative(ours['distill.loss_fa'].detach(),
                    reference_fa(batch['student'], drawn)) <= TOLERANCE
    assert relative(ours['distill.loss_la'].detach(),
                    reference_la(batch['student'], batch['logits'], batch['weight'],
                                 batch['bias'], batch['labels'])) <= TOLERANCE
    # The bank is data: the loss has no parameter, and a bank of 5 cannot give 6 rows.
    assert not list(loss.parameters())
    small = UnpairedCMKDLoss(K, D, teacher_batch_size=6, terms=dict(la=False))
    small.load_bank(bank(teacher[:5], torch.arange(5) % K))
    with pytest.raises(ValueError, match='replays 6 teacher features .* holds 5'):
        small(batch['labels'], feat)


def test_a_bank_without_classifier_or_samples_is_refused_for_the_term_that_needs_it(batch):
    teacher, labels = batch['teacher'], batch['labels']
    with pytest.raises(ValueError, match='no teacher classifier, which LA needs'):
        UnpairedCMKDLoss(K, D).load_bank(bank(teacher, labels))
    with pytest.raises(ValueError, match='no per-sample teacher features, which FA replays'):
        UnpairedCMKDLoss(K, D).load_bank(bank(teacher, labels, batch['weight'], batch['bias'],
                                              keep_samples=False))
    # Each is enough for the term it serves.
    UnpairedCMKDLoss(K, D, terms=dict(la=False)).load_bank(bank(teacher, labels))
    UnpairedCMKDLoss(K, D, terms=dict(fa=False)).load_bank(
        bank(teacher, labels, batch['weight'], batch['bias'], keep_samples=False))
    with pytest.raises(RuntimeError, match='bank of UnpairedCMKDLoss is empty'):
        UnpairedCMKDLoss(K, D)(labels, batch['student'], batch['logits'])


def test_a_bank_whose_classifier_is_not_its_records_is_refused(batch):
    state = bank(batch['teacher'], batch['labels'], batch['weight'], batch['bias'])
    tampered = copy.deepcopy(state)
    tampered['tensors']['classifier_weight'][0, 0] += 1.0
    with pytest.raises(ValueError, match='not the one its manifest records'):
        UnpairedCMKDLoss(K, D).load_bank(tampered, 'bank.pth')
    reshaped = copy.deepcopy(state)
    reshaped['tensors']['classifier_bias'] = torch.zeros(K + 1)
    with pytest.raises(ValueError, match=r'classifier_bias \(6,\).*needs \(5, 16\) and \(5,\)'):
        UnpairedCMKDLoss(K, D).load_bank(reshaped, 'bank.pth')
    del reshaped['tensors']['classifier_bias']
    with pytest.raises(ValueError, match='needs the tensors'):
        UnpairedCMKDLoss(K, D).load_bank(reshaped, 'bank.pth')


def batch_loss(**kwargs):
    return UnpairedCMKDLoss(K, D, teacher_source='batch', **kwargs)


def test_a_teacher_batch_of_another_width_is_refused_naming_its_shape(batch):
    with pytest.raises(ValueError, match=r'teacher_feat is \(8, 12\).*\(N, 16\)'):
        batch_loss(terms=dict(la=False))(batch['labels'], batch['student'],
                                         teacher_feat=torch.randn(8, 12))


def test_a_teacher_classifier_of_another_class_count_is_refused(batch):
    with pytest.raises(ValueError, match=r'weight \(6, 16\).*5 classes: expected weight \(5, 16\)'):
        batch_loss(terms=dict(fa=False))(batch['labels'], batch['student'], batch['logits'],
                                         teacher_head_weight=torch.randn(K + 1, D),
                                         teacher_head_bias=torch.randn(K + 1))


def test_an_empty_batch_is_refused_and_a_single_sample_is_transported_whole(batch):
    loss = batch_loss(terms=dict(la=False))
    with pytest.raises(ValueError, match=r'student_feat is \(0, 16\)'):
        loss(batch['labels'][:0], batch['student'][:0], teacher_feat=batch['teacher'])
    with pytest.raises(ValueError, match=r'teacher_feat is \(0, 16\)'):
        loss(batch['labels'], batch['student'], teacher_feat=batch['teacher'][:0])
    # One student sample: its only transport plan sends it to every teacher sample, 1/B each.
    one = batch['student'][:1]
    cosine = F.cosine_similarity(one, batch['teacher'], eps=1e-8)
    value = loss(batch['labels'][:1], one, teacher_feat=batch['teacher'])['distill.loss_fa']
    assert torch.isfinite(value) and abs(float(value) - float((1 - cosine).mean())) < 1e-5
    # One on each side: the cost of that pair.
    pair = loss(batch['labels'][:1], one, teacher_feat=batch['teacher'][:1])['distill.loss_fa']
    assert abs(float(pair) - float(1 - cosine[0])) < 1e-5


@pytest.mark.parametrize('side', ['student_feat', 'teacher features'])
def test_nan_features_are_refused_naming_the_side(batch, side):
    student, teacher = batch['student'].clone(), batch['teacher'].clone()
    (student if side == 'student_feat' else teacher)[2, 3] = float('nan')
    with pytest.raises(ValueError, match=f'{side} hold NaN'):
        batch_loss(terms=dict(la=False))(batch['labels'], student, teacher_feat=teacher)


def test_missing_inputs_and_settings_are_named(batch):
    with pytest.raises(ValueError, match='map teacher_feat'):
        batch_loss(terms=dict(la=False))(batch['labels'], batch['student'])
    with pytest.raises(ValueError, match='map teacher_head_weight'):
        batch_loss(terms=dict(fa=False))(batch['labels'], batch['student'], batch['logits'])
    with pytest.raises(ValueError, match='map student_logits'):
        batch_loss(terms=dict(fa=False))(batch['labels'], batch['student'])
    with pytest.raises(ValueError, match='every term is off'):
        UnpairedCMKDLoss(K, D, terms=dict(fa=False, la=False))
    with pytest.raises(ValueError, match=r"sinkhorn has unknown entries \['numItermax'\]"):
        UnpairedCMKDLoss(K, D, sinkhorn=dict(numItermax=10))
