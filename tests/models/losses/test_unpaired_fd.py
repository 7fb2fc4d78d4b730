"""UnpairedFDLoss: zero at the bank's statistics, positive elsewhere, by hand-written formulas,
gradients into the student only, absent classes skipped, banks that do not fit refused."""
import copy

import numpy as np
import pytest
import torch

from fdkd_mm.models.banks import (BANK_FORMAT, BANK_VERSION, BankAccumulator,
                                  BankMismatchError, load_bank, save_bank)
from fdkd_mm.models.losses import UnpairedFDLoss

K, D, TAU = 4, 16, 4.0


def make_loss(**kwargs) -> UnpairedFDLoss:
    return UnpairedFDLoss(num_classes=K, in_channels=D, temperature=TAU, **kwargs)


def bank_of(loss: UnpairedFDLoss, feat: torch.Tensor, labels: torch.Tensor,
            logits: torch.Tensor, keep_samples: bool = True, **manifest) -> dict:
    """A bank summarising (feat, logits) for ``loss``, as the builder makes it."""
    accumulator = BankAccumulator(K, len(loss.bands), D, keep_samples=keep_samples and
                                  feat.dim() == 2)
    keys = [f'{i:04d}' for i in range(len(feat))]
    accumulator.add(loss.standardized_bands(feat), labels,
                    torch.softmax(logits / TAU, dim=1), feat, keys)
    tensors = accumulator.finalize(allow_missing_classes=True)
    manifest = dict(loss.bank_layout(), layout=accumulator.layout, **manifest)
    return dict(format=BANK_FORMAT, version=BANK_VERSION, manifest=manifest, tensors=tensors)


def std(x: np.ndarray) -> np.ndarray:
    """Std(v) = (v - mean v) / ||v - mean v||, by hand."""
    centred = x - x.mean(axis=1, keepdims=True)
    return centred / np.linalg.norm(centred, axis=1, keepdims=True)


def bands(x: np.ndarray) -> tuple:
    """The rFFT split along D by hand: bins 1..4 low, 5..8 high (cutoff 0.5, D = 16)."""
    spectrum = np.fft.rfft(x, axis=1)
    low, high = np.zeros_like(spectrum), np.zeros_like(spectrum)
    low[:, 1:5], high[:, 5:] = spectrum[:, 1:5], spectrum[:, 5:]
    return np.fft.irfft(low, n=D, axis=1), np.fft.irfft(high, n=D, axis=1)


@pytest.fixture
def data():
    gen = torch.Generator().manual_seed(0)
    feat = torch.randn(24, D, generator=gen)
    labels = torch.arange(24) % K
    logits = torch.randn(24, K, generator=gen) * 2
    return feat, labels, logits


def all_terms() -> dict:
    return dict(feature=True, std=True, label=True, label_class=True, align=False)


def test_alignment_terms_are_zero_at_the_banks_statistics_and_positive_elsewhere(data):
    feat, labels, logits = data
    loss = make_loss(terms=all_terms())
    loss.load_bank(bank_of(loss, feat, labels, logits))
    # Student logits whose softmax at tau is, for every sample, its class's mean teacher
    # prediction: the per-sample label term is zero there too.
    class_mean = loss.bank.tensor('label_dist', 'cpu', torch.float32)
    student_logits = TAU * class_mean[labels].log()
    at_bank = loss(target=labels, student_feat=feat.clone(), student_logits=student_logits)
    assert set(at_bank) == {'distill.loss_low_mean', 'distill.loss_high_mean',
                            'distill.loss_low_std', 'distill.loss_high_std',
                            'distill.loss_label', 'distill.loss_label_class'}
    for key, value in at_bank.items():
        assert abs(float(value)) < 1e-5, (key, float(value))  # float32 rounding
    # The class-level label term is zero for the teacher's own logits as well.
    assert float(loss(target=labels, student_feat=feat,
                      student_logits=logits)['distill.loss_label_class']) < 1e-5
    moved = loss(target=labels, student_feat=feat + 0.5 * torch.randn_like(feat),
                 student_logits=torch.randn_like(logits))
    for key, value in moved.items():
        assert float(value) > 1e-4, (key, float(value))


def test_feature_and_label_terms_follow_their_formulas_over_the_classes_present(data):
    feat, labels, logits = data
    loss = make_loss(terms=dict(feature=True, label=True, align=False))
    loss.load_bank(bank_of(loss, feat, labels, logits))
    gen = torch.Generator().manual_seed(5)
    keep = labels < 2  # only classes 0 and 1 in the student's batch
    student = torch.randn(int(keep.sum()), D, generator=gen)
    student_labels = labels[keep]
    student_logits = torch.randn(len(student), K, generator=gen)
    got = loss(target=student_labels, student_feat=student, student_logits=student_logits)

    s_low, s_high = (std(b) for b in bands(student.double().numpy()))
    t_low, t_high = (std(b) for b in bands(feat.double().numpy()))
    s_lab, t_lab = student_labels.numpy(), labels.numpy()
    expected = {}
    for name, s, t, f in (('low', s_low, t_low, lambda x: x),
                          ('high', s_high, t_high, lambda x: np.sign(x) * np.log1p(np.abs(x)))):
        errors = [np.mean((f(s[s_lab == k].mean(0)) - f(t[t_lab == k].mean(0))) ** 2)
                  for k in (0, 1)]  # classes 2 and 3 are not in the batch: skipped
        expected[f'distill.loss_{name}_mean'] = np.mean(errors)
    p_teacher = torch.softmax(logits.double() / TAU, 1).numpy()
    class_dist = np.stack([p_teacher[t_lab == k].mean(0) for k in range(K)])
    log_q = torch.log_softmax(student_logits.double() / TAU, 1).numpy()
    kl = [(class_dist[y] * (np.log(class_dist[y]) - log_q[i])).sum() for i, y in enumerate(s_lab)]
    expected['distill.loss_label'] = TAU ** 2 * np.mean(kl)
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert float(got[key]) == pytest.approx(value, rel=2e-4), key


def test_shared_heads_classify_standardised_bands_at_unit_rms(data):
    feat, labels, logits = data
    loss = make_loss(terms=dict(feature=False, label=False, align=True))
    loss.load_bank(bank_of(loss, feat, labels, logits))
    got = loss(target=labels, student_feat=feat)
    for name, band in zip(('low', 'high'), bands(feat.double().numpy())):
        rows = torch.from_numpy(std(band) * np.sqrt(D)).float()  # entries of unit RMS
        fc = loss.shared_heads[name].fc
        expected = torch.nn.functional.cross_entropy(rows.relu() @ fc.weight.T + fc.bias, labels)
        value = float(got[f'align.loss_{name}_student'].detach())
        assert value == pytest.approx(float(expected.detach()), rel=1e-5)


def test_the_heads_on_the_student_alone_need_no_bank(data):
    """The teacher-free control: only the heads, no teacher rows; an empty bank is never read
    (a bank holding other statistics would change nothing)."""
    feat, labels, logits = data
    control = make_loss(terms=dict(feature=False, label=False, align=True, align_teacher=False))
    assert not control.uses_bank and not control.bank.filled
    got = control(target=labels, student_feat=feat)
    assert set(got) == {'align.loss_low_student', 'align.loss_high_student'}
    banked = copy.deepcopy(control)
    banked.load_bank(bank_of(banked, feat + 5, labels.flip(0), logits))
    for key, value in banked(target=labels, student_feat=feat).items():
        assert torch.equal(value, got[key]), key
    assert make_loss(terms=dict(feature=False, label=False, align=True)).uses_bank


def test_gradients_reach_the_student_only(data):
    feat, labels, logits = data
    loss = make_loss(terms=dict(all_terms(), align=True))
    loss.load_bank(bank_of(loss, feat, labels, logits))
    bank_before = {k: v.clone() for k, v in loss.bank.state()['tensors'].items()}
    student = (feat + 0.3 * torch.randn_like(feat)).requires_grad_()
    student_logits = torch.randn_like(logits).requires_grad_()
    losses = loss(target=labels, student_feat=student, student_logits=student_logits)
    alignment = sum(v for k, v in losses.items() if k.startswith('distill.'))
    alignment.backward()
    assert student.grad.abs().sum() > 0 and student_logits.grad.abs().sum() > 0
    # The alignment terms reach no module parameter (the heads only learn from align.*).
    assert all(p.grad is None for p in loss.parameters())
    assert not any(t.requires_grad for t in loss.bank.state()['tensors'].values())
    for key, value in loss.bank.state()['tensors'].items():
        assert torch.equal(value, bank_before[key]), key
    # The teacher rows of the shared heads train the heads only.
    student.grad = None
    losses = loss(target=labels, student_feat=student, student_logits=student_logits)
    losses['align.loss_low_teacher'].backward()
    assert student.grad is None
    assert loss.shared_heads['low'].fc.weight.grad.abs().sum() > 0


def test_shared_heads_classify_replayed_samples_or_gaussian_draws(data):
    feat, labels, logits = data
    replay = make_loss(teacher_samples='replay', num_teacher_samples=8)
    replay.load_bank(bank_of(replay, feat, labels, logits))
    torch.manual_seed(0)
    rows, row_labels = replay._teacher_head_rows(torch.device('cpu'))
    torch.manual_seed(0)
    index = torch.randint(len(feat), (8,))
    for got, band in zip(rows, replay.standardized_bands(feat[index])):
        torch.testing.assert_close(got, band)
    assert row_labels.tolist() == labels[index].tolist()
    gaussian = make_loss(teacher_samples='gaussian', num_teacher_samples=4000)
    gaussian.load_bank(bank_of(gaussian, feat, labels, logits, keep_samples=False))
    rows, row_labels = gaussian._teacher_head_rows(torch.device('cpu'))
    assert rows[0].shape == (4000, D)
    # Draws are re-standardised; their class means approach the (unit-normalised) bank means.
    torch.testing.assert_close(rows[0].norm(dim=1), torch.ones(4000))
    means = gaussian.bank.tensor('means', 'cpu', torch.float32)[0]
    drawn = torch.stack([rows[0][row_labels == k].mean(0) for k in range(K)])
    cosine = torch.nn.functional.cosine_similarity(drawn, means, dim=1)
    assert cosine.min() > 0.8, cosine
    keys = gaussian(target=labels, student_feat=feat, student_logits=logits)
    assert {'align.loss_low_student', 'align.loss_low_teacher', 'align.loss_high_student',
            'align.loss_high_teacher'} <= set(keys)
    no_teacher = make_loss(terms=dict(align_teacher=False))
    no_teacher.load_bank(bank_of(no_teacher, feat, labels, logits))
    keys = set(no_teacher(target=labels, student_feat=feat, student_logits=logits))
    assert {'align.loss_low_student', 'align.loss_high_student'} <= keys
    assert not any(key.endswith('_teacher') for key in keys)
    statistics_only = make_loss(teacher_samples='replay')
    statistics_only.load_bank(bank_of(statistics_only, feat, labels, logits, keep_samples=False))
    with pytest.raises(ValueError, match="teacher_samples='replay' needs a bank that keeps"):
        statistics_only._teacher_head_rows(torch.device('cpu'))


def test_dense_maps_use_per_pixel_statistics_with_the_ignore_index_respected():
    gen = torch.Generator().manual_seed(2)
    feat = torch.randn(2, D, 4, 5, generator=gen)
    labels = torch.randint(0, K, (2, 8, 10), generator=gen)
    labels[:, :2] = 255
    logits = torch.randn(2, K, 4, 5, generator=gen)
    loss = make_loss(terms=dict(feature=True, label=True, align=True))
    loss.load_bank(bank_of(loss, feat, labels, logits))
    assert loss.bank.manifest['layout'] == 'dense' and not loss.bank.has_samples
    at_bank = loss(target=labels, student_feat=feat, student_logits=logits)
    assert float(at_bank['distill.loss_low_mean']) < 1e-10
    # Changing only ignored pixels changes nothing.
    changed = feat.clone()
    changed[:, :, 0] += 5.0  # feature row 0 <- label rows 0..1, all 255
    again = loss(target=labels, student_feat=changed, student_logits=logits)
    assert float(again['distill.loss_low_mean']) < 1e-10
    with pytest.raises(ValueError, match='the teacher bank holds dense statistics, the student '
                                         'feature is pooled'):
        loss(target=labels[:, 0, 0], student_feat=feat.mean((2, 3)),
             student_logits=logits.mean((2, 3)))


def test_a_paired_batch_aligns_to_its_own_teacher_statistics(data):
    feat, labels, logits = data
    loss = make_loss(terms=dict(feature=True, label=True, label_class=True, align=True))
    same = loss(target=labels, student_feat=feat, student_logits=logits, teacher_feat=feat,
                teacher_logits=logits)
    assert float(same['distill.loss_low_mean']) < 1e-10
    assert float(same['distill.loss_label_class']) < 1e-5  # float32 rounding
    other = loss(target=labels, student_feat=feat, student_logits=logits,
                 teacher_feat=torch.randn_like(feat), teacher_logits=logits)
    assert float(other['distill.loss_low_mean']) > 1e-4
    assert not loss.bank.filled  # no bank needed with pairs


@pytest.mark.parametrize('change, message', [
    (dict(num_classes=5), r"num_classes 4 \(bank\) vs 5 \(loss\)"),
    (dict(decoupler=dict(type='FrequencyDecoupler', cutoff=0.25)),
     r"bands .*'cutoffs': \[0.5\].* \(bank\) vs .*'cutoffs': \[0.25\].* \(loss\)"),
    (dict(temperature=2.0), r'temperature 4.0 \(bank\) vs 2.0 \(loss\)'),
    (dict(in_channels=8), r'dim 16 \(bank\) vs 8 \(loss\)'),
])
def test_a_bank_for_other_classes_bands_or_tau_is_refused(data, tmp_path, change, message):
    feat, labels, logits = data
    path = str(tmp_path / 'bank.pth')
    save_bank(bank_of(make_loss(), feat, labels, logits), path)
    kwargs = dict(num_classes=K, in_channels=D, temperature=TAU, bank_file=path)
    kwargs.update(change)
    with pytest.raises(BankMismatchError, match=message):
        UnpairedFDLoss(**kwargs)
    assert UnpairedFDLoss(num_classes=K, in_channels=D, temperature=TAU,
                          bank_file=path).bank.filled


def test_the_bank_travels_in_the_state_dict_bit_exact(data, tmp_path):
    feat, labels, logits = data
    loss = make_loss()
    loss.load_bank(bank_of(loss, feat, labels, logits))
    checkpoint = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': loss.state_dict()}, checkpoint)
    from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
    restored = make_loss()
    assert not restored.bank.filled
    restored.load_state_dict(load_checkpoint_file(checkpoint)['state_dict'])  # strict
    for key, value in loss.bank.state()['tensors'].items():
        assert torch.equal(restored.bank.state()['tensors'][key], value), key
    assert restored.bank.manifest == loss.bank.manifest
    # A checkpoint's bank that does not fit the loss (another band layout) is refused too.
    other = make_loss(decoupler=dict(type='FrequencyDecoupler', cutoff=0.25))
    with pytest.raises(BankMismatchError, match=r"the checkpoint .*cutoffs"):
        other.load_state_dict(load_checkpoint_file(checkpoint)['state_dict'])
    # A bank file holds plain data and tensors only: it loads with the safe loader.
    path = str(tmp_path / 'bank.pth')
    save_bank(loss.bank.state(), path)
    assert load_bank(path)['manifest'] == loss.bank.manifest


def test_switches_and_missing_inputs_are_reported(data):
    feat, labels, logits = data
    only_label = make_loss(terms=dict(feature=False, align=False))
    only_label.load_bank(bank_of(only_label, feat, labels, logits))
    assert set(only_label(target=labels, student_logits=logits)) == {'distill.loss_label'}
    with pytest.raises(ValueError, match="map student_feat"):
        make_loss()(target=labels, student_logits=logits)
    loss = make_loss()
    with pytest.raises(RuntimeError, match='the teacher bank of UnpairedFDLoss is empty'):
        loss(target=labels, student_feat=feat, student_logits=logits)
    loss.load_bank(bank_of(loss, feat, labels, logits))
    with pytest.raises(ValueError, match="need the student's logits"):
        loss(target=labels, student_feat=feat)
    with pytest.raises(ValueError, match=r"terms.lable is not a known switch"):
        make_loss(terms=dict(lable=True))
    with pytest.raises(ValueError, match='LearnableFrequencyDecoupler learns its bands'):
        make_loss(decoupler=dict(type='LearnableFrequencyDecoupler'))


def test_a_class_the_bank_lacks_is_skipped(data):
    feat, labels, logits = data
    keep = labels != 3
    loss = make_loss(terms=dict(feature=True, label=True, align=False))
    loss.load_bank(bank_of(loss, feat[keep], labels[keep], logits[keep]))
    assert loss.bank.tensor('counts', 'cpu')[3] == 0
    student = feat + 0.2 * torch.randn_like(feat)
    with_3 = loss(target=labels, student_feat=student, student_logits=logits)
    without_3 = loss(target=labels[keep], student_feat=student[keep],
                     student_logits=logits[keep])
    for key in with_3:
        assert float(with_3[key]) == pytest.approx(float(without_3[key]), rel=1e-5), key
    assert copy.deepcopy(loss).bank.filled


def test_no_pairing_matters_shuffled_teacher_data_gives_the_same_losses(data):
    feat, labels, logits = data
    loss = make_loss(terms=dict(all_terms(), align=True), teacher_samples='replay')
    order = torch.randperm(len(feat), generator=torch.Generator().manual_seed(3))
    student = feat[:12] + 0.3 * torch.randn(12, D, generator=torch.Generator().manual_seed(4))
    results = []
    for teacher_order in (torch.arange(len(feat)), order):
        accumulator = BankAccumulator(K, 2, D, keep_samples=True)
        for start in range(0, len(feat), 5):
            index = teacher_order[start:start + 5]
            accumulator.add(loss.standardized_bands(feat[index]), labels[index],
                            torch.softmax(logits[index] / TAU, dim=1), feat[index],
                            [f'{i:04d}' for i in index.tolist()])
        loss.load_bank(dict(format=BANK_FORMAT, version=BANK_VERSION,
                            manifest=dict(loss.bank_layout(), layout='pooled'),
                            tensors=accumulator.finalize()))
        torch.manual_seed(0)  # the same replayed teacher rows for the shared heads
        results.append(loss(target=labels[:12], student_feat=student,
                            student_logits=logits[:12] * 0.5))
    for key, value in results[0].items():
        torch.testing.assert_close(results[1][key], value, rtol=1e-6, atol=1e-9)


def test_the_distiller_runs_the_losses_on_a_paired_batch(cls_distiller_cfg, cls_batch):
    """Paired data: the teacher's features of the same batch are the targets, no bank."""
    from fdkd_mm.registry import MODELS
    cfg = dict(cls_distiller_cfg, teacher_recorders=dict(
        cls_distiller_cfg['teacher_recorders'], logits=dict(path='head.fc')),
        student_recorders=dict(cls_distiller_cfg['student_recorders'],
                               logits=dict(path='head.fc')))
    cfg['distill_losses'] = dict(loss_ufd=dict(type='UnpairedFDLoss', num_classes=6,
                                               in_channels=64, terms=dict(label_class=True)))
    cfg['loss_forward_mappings'] = dict(loss_ufd=dict(
        student_feat=dict(from_student=True, recorder='feat'),
        student_logits=dict(from_student=True, recorder='logits'),
        teacher_feat=dict(from_student=False, recorder='feat'),
        teacher_logits=dict(from_student=False, recorder='logits'),
        target=dict(labels=True)))
    model = MODELS.build(cfg)
    model.train()
    losses = model(**model.data_preprocessor(cls_batch, True), mode='loss')
    assert {'distill.loss_low_mean', 'distill.loss_label', 'distill.loss_label_class',
            'align.loss_low_teacher'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert not model.losses['loss_ufd'].bank.filled
