"""``teacher_cache``: the distiller reads the batch's teacher rows instead of a teacher forward.

The caches here are written from the tiny audio -> visual FD distiller's own live teacher
(its pooled feature and its logits), rows keyed by the samples' ``sample_idx``; the data-side
check (TeacherCacheHook's, tested on real datasets in tests/configs) is marked as done.
"""
import copy

import numpy as np
import pytest
import torch

from fdkd_mm.models.pooling import pool_recorded
from fdkd_mm.registry import MODELS
from fdkd_mm.recording.identity import teacher_identity
from fdkd_mm.teacher_cache.manifest import FORMAT, VERSION, TeacherCacheError
from fdkd_mm.teacher_cache.store import TeacherCacheWriter

KD = dict(loss_kd=dict(type='KDLoss', temperature=4.0))
KD_MAPPING = dict(loss_kd=dict(student_logits=dict(from_student=True, recorder='logits'),
                               teacher_logits=dict(from_student=False, recorder='logits'),
                               target=dict(labels=True)))


def with_logits(cfg: dict) -> dict:
    """The FD config plus KD on the logits: two teacher tensors."""
    cfg = copy.deepcopy(cfg)
    for role in ('student', 'teacher'):
        cfg[f'{role}_recorders']['logits'] = dict(path='head.fc')
    cfg['distill_losses'].update(KD)
    cfg['loss_forward_mappings'].update(KD_MAPPING)
    return cfg


def reorder(batch: dict, order: list) -> dict:
    """The batch's samples in another order (each keeps its sample_idx)."""
    batch = copy.deepcopy(batch)
    return dict(inputs={m: [x[i] for i in order] for m, x in batch['inputs'].items()},
                data_samples=[batch['data_samples'][i] for i in order])


def indexed(batch: dict, first: int = 0) -> dict:
    """The batch with dataset indices first, first + 1, ... in its data samples."""
    batch = copy.deepcopy(batch)
    for offset, sample in enumerate(batch['data_samples']):
        sample.set_metainfo(dict(sample_idx=first + offset))
    return batch


@pytest.fixture
def setup(cls_distiller_cfg, cls_batch, tmp_path):
    """A saved teacher, a cache of its feature and logits for the batch's 4 samples, held in
    reversed dataset order (rows 3..0), and the live distiller."""
    cfg = with_logits(cls_distiller_cfg)
    torch.manual_seed(0)
    live = MODELS.build(cfg).train()
    ckpt = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=live.teacher.state_dict()), ckpt)
    cfg['teacher_ckpt'] = ckpt
    batch = indexed(cls_batch)
    reversed_batch = reorder(batch, [3, 2, 1, 0])
    write_cache(tmp_path / 'cache', live, cfg, reversed_batch)
    return dict(cfg=cfg, live=live, batch=batch, root=str(tmp_path / 'cache'),
                tmp=tmp_path)


def write_cache(root, live, cfg: dict, batch: dict, dtype='fp32', recorders=None) -> None:
    """Run the live teacher on ``batch`` and store its pooled tensors by sample_idx."""
    recorders = recorders or cfg['teacher_recorders']
    data = live.data_preprocessor(copy.deepcopy(batch), True)
    indices = np.array([s.metainfo['sample_idx'] for s in batch['data_samples']])
    live.teachers['teacher'].run(data['inputs'])
    with TeacherCacheWriter(str(root / 'train'), len(indices), dtype) as writer:
        for name, spec in recorders.items():
            feature = pool_recorded(live.teacher_recorders.feature(name), len(indices),
                                    spec.get('pool'))
            writer.write_rows(name, indices, feature.numpy())
        writer.finish(dict(
            format=FORMAT, version=VERSION,
            teacher=teacher_identity(cfg['teacher_input'], cfg['teacher'], cfg['teacher_ckpt'],
                                     recorders, []),
            recorders={name: {} for name in recorders},
            dataset=dict(type='Fake', length=len(indices), input_key='audio_path',
                         samples_sha256='-', config={})))


def cached_model(setup, **changes):
    cfg = dict(copy.deepcopy(setup['cfg']), teacher_cache=dict(path=setup['root']), **changes)
    model = MODELS.build(cfg).train()
    model.load_state_dict({k: v for k, v in setup['live'].state_dict().items()
                           if not k.startswith('teacher.')})
    return model


def checked(model):
    model.teachers['teacher'].data_checked = True  # what TeacherCacheHook does before training
    return model


def losses(model, batch):
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    return model.loss(data['inputs'], data['data_samples'])


def test_the_cached_teacher_gives_the_live_losses_without_a_teacher_network(setup):
    cached = checked(cached_model(setup))
    assert cached.teacher is None
    assert not any(key.startswith('teacher.') for key in cached.state_dict())
    assert list(cached.data_preprocessor.preprocessors) == ['visual']
    expected, got = losses(setup['live'], setup['batch']), losses(cached, setup['batch'])
    assert expected.keys() == got.keys() and 'distill.loss_kd' in got
    for key in expected:
        assert torch.equal(expected[key], got[key]), key
    # The batch needs no teacher modality at all.
    visual_only = copy.deepcopy(setup['batch'])
    del visual_only['inputs']['audio']
    assert torch.equal(losses(cached, visual_only)['distill.loss_kd'],
                       expected['distill.loss_kd'])


def test_rows_follow_the_samples_indices(setup):
    cached = checked(cached_model(setup))
    shuffled = reorder(setup['batch'], [2, 0, 3, 1])
    data = cached.data_preprocessor(copy.deepcopy(shuffled), True)
    cached.loss(data['inputs'], data['data_samples'])
    live = setup['live']
    live_data = live.data_preprocessor(copy.deepcopy(shuffled), True)
    live.teachers['teacher'].run(live_data['inputs'])
    assert torch.equal(cached.recorded('teacher', 'logits', 4),
                       live.recorded('teacher', 'logits', 4))
    assert torch.equal(cached.recorded('teacher', 'feat', 4), live.recorded('teacher', 'feat', 4))


@pytest.mark.parametrize('changes, match', [
    (dict(teacher_trainable=True), 'trainable teacher'),
    (dict(teacher_autocast='bf16'), 'teacher_autocast'),
])
def test_a_teacher_whose_outputs_are_not_fixed_is_refused(setup, changes, match):
    with pytest.raises(ValueError, match=match):
        cached_model(setup, **changes)


def test_a_cache_of_another_checkpoint_is_refused(setup):
    other = str(setup['tmp'] / 'other.pth')
    state = {k: v + 1 if v.is_floating_point() else v
             for k, v in setup['live'].teacher.state_dict().items()}
    torch.save(dict(state_dict=state), other)
    with pytest.raises(TeacherCacheError, match=r'teacher checkpoint: the cache was computed '
                                                r'from .*teacher.pth .*other.pth has sha256'):
        cached_model(setup, teacher_ckpt=other)


def test_other_recorders_or_networks_are_refused_each_named(setup):
    cfg = copy.deepcopy(setup['cfg'])
    cfg['teacher_recorders']['feat']['pool'] = None
    cfg['teacher_recorders']['logits']['call_index'] = 1
    cfg['teacher']['backbone']['depth'] = 34
    with pytest.raises(TeacherCacheError) as error:
        MODELS.build(dict(cfg, teacher_cache=dict(path=setup['root'])))
    message = str(error.value)
    assert "teacher recorder 'feat': pool: 'avg' in the cache, None in the run" in message
    assert "teacher recorder 'logits': call_index: 0 in the cache, 1 in the run" in message
    assert 'teacher network config: backbone.depth: 18 in the cache, 34 in the run' in message
    assert 'tools/cache_teacher.py' in message


def test_a_tensor_the_cache_lacks_is_named(setup, tmp_path):
    write_cache(tmp_path / 'feat_only', setup['live'], setup['cfg'], setup['batch'],
                recorders={'feat': setup['cfg']['teacher_recorders']['feat']})
    with pytest.raises(TeacherCacheError, match=r"teacher tensors \['logits'\]: not in the "
                                                r"cache .* --recorders feat logits"):
        MODELS.build(dict(setup['cfg'], teacher_cache=dict(path=str(tmp_path / 'feat_only'))))


def test_a_missing_cache_says_how_to_build_one(setup, tmp_path):
    with pytest.raises(FileNotFoundError, match='tools/cache_teacher.py'):
        MODELS.build(dict(setup['cfg'], teacher_cache=dict(path=str(tmp_path / 'none'))))


def test_without_a_teacher_checkpoint_only_the_student_runs(setup, tmp_path):
    model = MODELS.build(dict(setup['cfg'], teacher_ckpt=None,
                              teacher_cache=dict(path=str(tmp_path / 'not_there'))))
    data = model.data_preprocessor(copy.deepcopy(setup['batch']), False)
    predictions = model(**data, mode='predict')  # testing a cached run's checkpoint
    assert len(predictions) == 4
    model.teachers['teacher'].data_checked = True
    with pytest.raises(RuntimeError, match='names no teacher_ckpt'):
        losses(model.train(), setup['batch'])


def test_nothing_is_read_before_the_training_set_is_checked(setup):
    with pytest.raises(RuntimeError, match='TeacherCacheHook'):
        losses(cached_model(setup), setup['batch'])


def test_samples_must_carry_their_dataset_index(setup):
    batch = copy.deepcopy(setup['batch'])
    batch['data_samples'][1] = type(batch['data_samples'][1])().set_gt_label(0)
    with pytest.raises(KeyError, match="data sample 1 of the batch carries no sample_idx"):
        losses(checked(cached_model(setup)), batch)


def test_unknown_cache_options_are_refused(setup):
    with pytest.raises(ValueError, match=r"unknown keys \['dtype'\]"):
        MODELS.build(dict(setup['cfg'], teacher_cache=dict(path=setup['root'], dtype='fp16')))
    with pytest.raises(TypeError, match='teacher_cache must be dict'):
        MODELS.build(dict(setup['cfg'], teacher_cache='cache/'))
