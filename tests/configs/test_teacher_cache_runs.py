"""A cached teacher trains the student exactly as the live teacher does (real configs, tiny).

For CREMA-D audio -> visual (FD-CMKD and KD) and CrisisMMD text -> image (FD-CMKD, a tiny BERT
on a local vocabulary): a random teacher is saved, its outputs cached with the code of
tools/cache_teacher.py (fp32), and

* on one fixed batch the cached distiller's every loss term equals the live one's bit for bit;
* N training iterations through MMEngine's Runner (the cached run's pipeline no longer loads
  the teacher's modality, as tools/train.py prepares it) end in identical student weights;
* an fp16 cache changes the losses by a bounded, reported amount;
* a cached run resumed from its checkpoint ends where the uninterrupted one does.
"""
import pytest
import torch
from mmengine.runner import Runner

from cache_runs import fixed_batch, losses, make_pair, trained_weights
from fdkd_mm.engine.strict_runner import StrictLoadRunner
from fdkd_mm.models.distillers.validation import packed_input_keys
from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file

DIRECTIONS = {
    'fd-cremad': 'configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py',
    'kd-cremad': 'configs/kd/kd_r18-audio_r18-visual_cremad.py',
    'fd-crisismmd': 'configs/fdkd/fdkd_bert-text_mbv2-image_crisismmd.py',
}
# Iterations compared: 4 cross CREMA-D's epoch of 3 (6 clips, batch 2).
ITERATIONS = {'fd-cremad': 4, 'kd-cremad': 4, 'fd-crisismmd': 3}
# At tiny_config's 32-pixel crops MobileNetV2's 2x2 depthwise stages get NaN gradients from the
# second step on, with the live teacher too; 64 pixels train.
IMAGE_CROP = {'fd-crisismmd': 64}


@pytest.fixture(scope='module', params=sorted(DIRECTIONS))
def pair(request, data_roots, tokenizer_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp(request.param)
    pair = make_pair(DIRECTIONS[request.param], data_roots, tokenizer_dir, root)
    pair.iterations = ITERATIONS[request.param]
    pair.image_crop = IMAGE_CROP.get(request.param)
    return pair


def test_fixed_batch_losses_are_identical(pair):
    live, cached = pair.model(cached=False), pair.model(cached=True)
    assert cached.teacher is None and not any(k.startswith('teacher.')
                                              for k in cached.state_dict())
    dataset, dataset_cfg = pair.dataset(cached=False)
    cached.teachers['teacher'].check_data(dataset, dataset_cfg, 'train pipeline')
    batch = fixed_batch(dataset)
    expected, got = losses(live, batch), losses(cached, batch)
    assert expected.keys() == got.keys()
    assert len([k for k in expected if k.startswith(('distill.', 'align.'))]) >= 1
    for key in expected:
        assert torch.equal(expected[key], got[key]), (key, expected[key], got[key])


def test_training_steps_end_in_identical_weights(pair):
    weights = {}
    for cached in (False, True):
        cfg = pair.cfg(f'train_{cached}', cached, iters=pair.iterations)
        packed, _ = packed_input_keys(cfg.train_dataloader.dataset.pipeline)
        # The cached run's pipeline no longer loads the teacher's modality.
        assert (cfg.model.teacher_input in packed) != cached
        assert cfg.model.student_input in packed
        runner = Runner.from_cfg(cfg)
        runner.train()
        weights[cached] = trained_weights(runner)
    initial = torch.load(pair.init_ckpt, weights_only=True)['state_dict']
    assert weights[False].keys() == weights[True].keys()
    moved = [k for k in weights[False] if not torch.equal(weights[False][k], initial[k])]
    assert moved, 'the runs did not train'
    assert all(torch.isfinite(v).all() for v in weights[False].values() if v.is_floating_point())
    for key in weights[False]:
        assert torch.equal(weights[False][key], weights[True][key]), key


@pytest.mark.parametrize('direction', ['fd-cremad'])
def test_fp16_cache_changes_losses_by_its_rounding(direction, data_roots, tokenizer_dir,
                                                   tmp_path):
    pair = make_pair(DIRECTIONS[direction], data_roots, tokenizer_dir, tmp_path, dtype='fp16')
    live, cached = pair.model(cached=False), pair.model(cached=True)
    dataset, dataset_cfg = pair.dataset(cached=False)
    cached.teachers['teacher'].check_data(dataset, dataset_cfg, 'train pipeline')
    batch = fixed_batch(dataset)
    expected, got = losses(live, batch), losses(cached, batch)
    teacher_terms = [k for k in expected if not k.startswith('student.')]
    relative = {k: abs(float(got[k] - expected[k])) / abs(float(expected[k]))
                for k in teacher_terms}
    print('fp16 cache, relative loss differences:', relative)
    # fp16 keeps 11 significant bits (relative rounding <= 2**-11 ~ 4.9e-4 per value).
    assert max(relative.values()) < 4 * 2 ** -11
    assert max(relative.values()) > 0  # the rows really are half precision
    assert torch.equal(expected['student.loss'], got['student.loss'])


def test_resumed_cached_run_continues_exactly(data_roots, tokenizer_dir, tmp_path):
    pair = make_pair(DIRECTIONS['kd-cremad'], data_roots, tokenizer_dir, tmp_path)
    straight = pair.cfg('straight', cached=True, iters=4)
    straight.default_hooks.checkpoint = dict(type='fdkd_mm.AtomicCheckpointHook',
                                             by_epoch=False, interval=2, save_best=None)
    runner = Runner.from_cfg(straight)
    runner.train()
    expected = trained_weights(runner)
    resumed = pair.cfg('resumed', cached=True, iters=4)
    resumed.load_from, resumed.resume = str(tmp_path / 'straight' / 'iter_2.pth'), True
    runner = StrictLoadRunner.from_cfg(resumed)
    runner.train()
    got = trained_weights(runner)
    halfway = load_checkpoint_file(str(tmp_path / 'straight' / 'iter_2.pth'))['state_dict']
    assert halfway.keys() == expected.keys()  # no teacher weights in a cached run's checkpoint
    assert any(not torch.equal(halfway[k], expected[k]) for k in expected)
    assert runner.iter == 4
    for key in expected:
        assert torch.equal(expected[key], got[key]), key
