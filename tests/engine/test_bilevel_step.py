"""The bilevel step against a hand-written copy of the authors' step on tiny networks: a
deep copy of the student takes a plain-SGD step on FA, one on LA (its head on detached
features, p_T without gradient), its CE gradient goes to the real student's momentum SGD, and
its BN buffers are copied back. Weights and buffers must agree after two steps."""
import copy

import ot
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from fdkd_mm.engine.bilevel_step import bilevel_train_step
from fdkd_mm.models.banks import BANK_FORMAT, BANK_VERSION, BankAccumulator, classifier_entry
from fdkd_mm.registry import MODELS
from fdkd_mm.testing.tiny_models import BASE, NUM_CLS_CLASSES, tiny_classifier

K, D, LR = NUM_CLS_CLASSES, 8 * BASE, 0.1
BANK_SIZE = 6  # = teacher_batch_size: every step replays the whole bank, in a seeded order


def tiny_distiller(bank: dict):
    loss = dict(type='UnpairedCMKDLoss', num_classes=K, in_channels=D, clamp_cost=False,
                la_teacher_grad=False, teacher_batch_size=BANK_SIZE)
    model = MODELS.build(dict(
        type='CrossModalDistiller', student=tiny_classifier(1), teacher=None,
        student_input='audio', teacher_input=None, teacher_recorders=None,
        student_recorders=dict(logits=dict(path='head.fc'),
                               feat=dict(path='backbone.layer4', pool='avg')),
        distill_losses=dict(loss_cmkd=loss),
        loss_forward_mappings=dict(loss_cmkd=dict(
            student_feat=dict(from_student=True, recorder='feat'),
            student_logits=dict(from_student=True, recorder='logits'),
            target=dict(labels=True)))))
    model.losses['loss_cmkd'].load_bank(bank)
    return model.train()


@pytest.fixture
def setup(cls_batch):
    gen = torch.Generator().manual_seed(3)
    features = torch.randn(BANK_SIZE, D, generator=gen).abs()  # post-ReLU-like
    weight, bias = torch.randn(K, D, generator=gen) / 8, torch.randn(K, generator=gen)
    accumulator = BankAccumulator(K, 1, D, keep_samples=True)
    labels = torch.arange(BANK_SIZE) % K
    accumulator.add((features, ), labels, torch.full((BANK_SIZE, K), 1 / K), features,
                    [str(i) for i in range(BANK_SIZE)])
    classifier, record = classifier_entry(weight, bias, 'head.fc')
    manifest = dict(num_classes=K, dim=D, bands=dict(decoupler='none', bands=['whole']),
                    temperature=1.0, layout='pooled', classifier=record)
    tensors = dict(accumulator.finalize(allow_missing_classes=True), **classifier)
    bank = dict(format=BANK_FORMAT, version=BANK_VERSION, manifest=manifest, tensors=tensors)
    return dict(model=tiny_distiller(bank), batch=cls_batch, teacher=features, weight=weight,
                bias=bias)


def feature(net, x):
    return F.adaptive_avg_pool2d(net.backbone(x)[-1], 1).flatten(1)


def reference_step(net, optimizer, x, y, teacher, weight, bias):
    """The authors' bilevel step, written out on a separate copy of the student."""
    tmp = copy.deepcopy(net)
    tmp.train()
    tmp_optimizer = torch.optim.SGD(tmp.parameters(), lr=optimizer.param_groups[0]['lr'])
    tmp_optimizer.zero_grad()
    s, t = F.normalize(feature(tmp, x), p=2, dim=1), F.normalize(teacher, p=2, dim=1)
    cost = 1 - torch.matmul(s, t.transpose(0, 1))
    uniform = torch.ones(len(x)) / len(x)
    ot.sinkhorn2(uniform, torch.ones(len(t)) / len(t), cost, reg=0.1, numItermax=100).backward()
    tmp_optimizer.step()
    tmp_optimizer.zero_grad()
    fixed = feature(tmp, x).detach()
    outputs = tmp.head.fc(fixed)
    with torch.no_grad():
        teacher_view = fixed @ weight.T + bias
    kappa = F.softmax(teacher_view, dim=-1).gather(1, y[:, None]).squeeze(1)
    la = (F.cross_entropy(outputs, y, reduction='none')
          - kappa * F.cross_entropy(teacher_view, y, reduction='none')).mean()
    la.backward()
    tmp_optimizer.step()
    ce = F.cross_entropy(tmp.head.fc(feature(tmp, x)), y)
    tmp.zero_grad()
    ce.backward()
    optimizer.zero_grad()
    for real, moved in zip(net.parameters(), tmp.parameters()):
        if moved.grad is not None:
            real.grad = moved.grad.clone()
    optimizer.step()
    with torch.no_grad():
        for real, moved in zip(net.buffers(), tmp.buffers()):
            real.data.copy_(moved.data)


def relative(ours, reference):
    scale = reference.abs().max().clamp_min(1e-12)
    return float((ours.detach().float() - reference.float()).abs().max() / scale)


def test_two_bilevel_steps_update_the_student_as_the_authors_step_does(setup):
    model, batch = setup['model'], setup['batch']
    reference_net = copy.deepcopy(model.student)
    reference_optimizer = torch.optim.SGD(reference_net.parameters(), lr=LR, momentum=0.9)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9))
    before = copy.deepcopy(model.student.state_dict())
    data = model.data_preprocessor(batch, True)
    x = data['inputs']['audio']
    y = torch.stack([s.gt_label for s in data['data_samples']]).flatten()
    for step in range(2):
        # FA replays the bank in the order of the step's first draw; the reference takes the
        # same order (FA does not depend on it but for rounding).
        torch.manual_seed(step)
        log_vars = bilevel_train_step(model, batch, wrapper)
        torch.manual_seed(step)
        order = torch.randperm(BANK_SIZE)
        reference_step(reference_net, reference_optimizer, x, y, setup['teacher'][order],
                       setup['weight'], setup['bias'])
    assert set(log_vars) == {'loss', 'distill.loss_fa', 'distill.loss_la', 'student.loss'}
    ours, reference = model.student.state_dict(), reference_net.state_dict()
    moved = 0
    for key, value in reference.items():
        assert relative(ours[key], value) <= 1e-6, key
        moved += not torch.equal(value, before[key])
    assert moved == len(reference)  # every weight and every BN statistic changed


def test_the_step_differs_from_a_plain_ce_step(setup):
    """The temporary FA and LA steps matter: the CE gradient at the moved weights is not the
    CE gradient at the student's own weights."""
    model, batch = setup['model'], setup['batch']
    plain = copy.deepcopy(model)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9))
    bilevel_train_step(model, batch, wrapper)
    plain_wrapper = OptimWrapper(torch.optim.SGD(plain.parameters(), lr=LR, momentum=0.9))
    losses = plain(**plain.data_preprocessor(batch, True), mode='loss')
    plain_wrapper.update_params(losses['student.loss'])
    conv = 'student.backbone.conv1.weight'
    assert relative(dict(model.named_parameters())[conv],
                    dict(plain.named_parameters())[conv]) > 1e-4


def test_unsupported_setups_are_refused(setup):
    model, batch = setup['model'], setup['batch']
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    amp = object.__new__(AmpOptimWrapper)  # its constructor wants a GPU; the type is refused
    with pytest.raises(TypeError, match='plain OptimWrapper, got AmpOptimWrapper'):
        bilevel_train_step(model, batch, amp)
    with pytest.raises(ValueError, match='accumulative_counts must be 1'):
        bilevel_train_step(model, batch, OptimWrapper(optimizer, accumulative_counts=2))
    with pytest.raises(ValueError, match="head 'student.neck' names no trainable parameter"):
        bilevel_train_step(model, batch, OptimWrapper(optimizer), head='student.neck')
    with pytest.raises(KeyError, match="FA step: the model logs no loss 'distill.loss_ot'"):
        bilevel_train_step(model, batch, OptimWrapper(optimizer), fa_key='distill.loss_ot')
