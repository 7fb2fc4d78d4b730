"""RKD, MLLD, CRD, OFA and MGDFR through the CrossModalDistiller on the tiny real models.

Two training steps each (finite logged terms, the frozen teacher untouched), CRD's sample
indices from the data samples' metainfo and its bank across a checkpoint with the hook, and
MGDFR's salience tool function on the co-training distiller.
"""
import copy
from types import SimpleNamespace

import pytest
import torch
from mmengine.optim import OptimWrapper

from fdkd_mm.apis.mgdfr_salience import compute_salience, load_networks, salience_model_cfg
from fdkd_mm.engine.hooks import ContrastMemoryHook
from fdkd_mm.errors import CheckpointError
from fdkd_mm.registry import MODELS
from fdkd_mm.testing.tiny_models import BASE, NUM_CLS_CLASSES, NUM_SEG_CLASSES

STAGES = ['stage2', 'stage3', 'stage4']
STAGE_CHANNELS = [2 * BASE, 4 * BASE, 8 * BASE]
RECORDERS = dict(
    cls=dict(logits=dict(path='head.fc'), feat=dict(path='backbone.layer4', pool='avg'),
             stage2=dict(path='backbone.layer2'), stage3=dict(path='backbone.layer3'),
             stage4=dict(path='backbone.layer4'),
             head_weight=dict(path='head.fc.weight', source='parameter'),
             head_bias=dict(path='head.fc.bias', source='parameter')),
    seg=dict(logits=dict(path='decode_head.conv_seg'),
             feat=dict(path='decode_head.sep_bottleneck'),
             stage2=dict(path='backbone.layer2'), stage3=dict(path='backbone.layer3'),
             stage4=dict(path='backbone.layer4'),
             head_weight=dict(path='decode_head.conv_seg.weight', source='parameter'),
             head_bias=dict(path='decode_head.conv_seg.bias', source='parameter')))
FEAT = dict(cls=8 * BASE, seg=16)
CLASSES = dict(cls=NUM_CLS_CLASSES, seg=NUM_SEG_CLASSES)
S = dict(from_student=True)
T = dict(from_student=False)
LOGITS = dict(student_logits=dict(S, recorder='logits'), teacher_logits=dict(T, recorder='logits'))


def method(name: str, task: str) -> tuple[dict, dict, dict]:
    """(losses, mappings, distiller settings) of a method on a task."""
    feats = dict(student_feat=dict(S, recorder='feat'), teacher_feat=dict(T, recorder='feat'))
    if name == 'rkd':
        return dict(loss_rkd=dict(type='RKDLoss')), dict(loss_rkd=feats), {}
    if name == 'mlld':
        return (dict(loss_mlld=dict(type='MLLDLoss')),
                dict(loss_mlld=dict(LOGITS, target=dict(labels=True))), {})
    if name == 'crd':
        return (dict(loss_crd=dict(type='CRDLoss', student_channels=FEAT[task],
                                   teacher_channels=FEAT[task], num_samples=16, embed_dim=8,
                                   num_negatives=5)),
                dict(loss_crd=dict(feats, sample_idx=dict(metainfo='sample_idx'))), {})
    if name == 'ofa':
        return (dict(loss_ofa=dict(type='OFALoss', student_channels=STAGE_CHANNELS,
                                   num_classes=CLASSES[task], feature_dim=8 * BASE,
                                   dense=task == 'seg')),
                dict(loss_ofa=dict(LOGITS, student_feats=dict(S, recorder=STAGES),
                                   target=dict(labels=True))), {})
    if name == 'mgdfr-cotrain':
        return (dict(loss_co=dict(type='MGDFRCoTrainLoss')), dict(loss_co=LOGITS),
                dict(teacher_trainable=True))
    if name == 'mgdfr':
        salience = torch.linspace(0, 1, FEAT[task])
        return (dict(loss_mgdfr=dict(type='MGDFRLoss')),
                dict(loss_mgdfr=dict(student_logits=dict(S, recorder='logits'),
                                     teacher_feat=dict(T, recorder='feat'),
                                     head_weight=dict(T, recorder='head_weight'),
                                     head_bias=dict(T, recorder='head_bias'),
                                     target=dict(labels=True))),
                dict(salience=salience))
    raise KeyError(name)


def build(fd_cfg: dict, name: str, task: str):
    losses, mappings, settings = method(name, task)
    cfg = copy.deepcopy(fd_cfg)
    cfg.update(student_recorders=copy.deepcopy(RECORDERS[task]),
               teacher_recorders=copy.deepcopy(RECORDERS[task]), distill_losses=losses,
               loss_forward_mappings=mappings,
               teacher_trainable=settings.get('teacher_trainable', False))
    model = MODELS.build(cfg)
    if 'salience' in settings:
        model.losses['loss_mgdfr'].set_salience(settings['salience'])
    return model


def with_indices(batch: dict, start: int = 0) -> dict:
    for i, sample in enumerate(batch['data_samples']):
        sample.set_metainfo(dict(sample_idx=start + i))
    return batch


CASES = [(t, m) for t in ('cls', 'seg')
         for m in ('rkd', 'mlld', 'crd', 'ofa', 'mgdfr-cotrain', 'mgdfr')]


@pytest.mark.parametrize('task, name', CASES, ids=[f'{t}-{m}' for t, m in CASES])
def test_two_training_steps(task, name, request, batch_factory):
    model = build(request.getfixturevalue(f'{task}_distiller_cfg'), name, task)
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    optim = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.01))
    model.train()
    logs = [model.train_step(with_indices(batch_factory(task, seed), 4 * seed), optim)
            for seed in range(2)]
    for log in logs:
        assert all(torch.isfinite(torch.as_tensor(v)) for v in log.values()), log
        assert any(k.startswith('distill.') for k in log), log
    unchanged = all(torch.equal(v, teacher_before[k])
                    for k, v in model.teacher.state_dict().items())
    assert unchanged == (name != 'mgdfr-cotrain')


def test_missing_sample_idx_names_the_key(cls_distiller_cfg, cls_batch):
    model = build(cls_distiller_cfg, 'crd', 'cls')
    with pytest.raises(KeyError, match="sample_idx"):
        model(**model.data_preprocessor(cls_batch, True), mode='loss')


def test_crd_bank_follows_the_checkpoint_through_the_hook(cls_distiller_cfg, batch_factory):
    cfg = copy.deepcopy(cls_distiller_cfg)
    model = build(cfg, 'crd', 'cls')
    model.train()
    model(**model.data_preprocessor(with_indices(batch_factory('cls', 0)), True), mode='loss')
    checkpoint = dict(state_dict={k: v.clone() for k, v in model.state_dict().items()})
    # A fresh distiller whose CRD has no num_samples: the hook sizes it from the checkpoint.
    fresh_cfg = copy.deepcopy(cfg)
    losses, mappings, _ = method('crd', 'cls')
    del losses['loss_crd']['num_samples']
    fresh_cfg.update(student_recorders=copy.deepcopy(RECORDERS['cls']),
                     teacher_recorders=copy.deepcopy(RECORDERS['cls']), distill_losses=losses,
                     loss_forward_mappings=mappings)
    fresh = MODELS.build(fresh_cfg)
    assert fresh.losses['loss_crd'].memory.num_samples == 0
    runner = SimpleNamespace(model=fresh, logger=None,
                             train_dataloader=SimpleNamespace(dataset=list(range(16))))
    hook = ContrastMemoryHook()
    hook.after_load_checkpoint(runner, checkpoint)
    assert fresh.losses['loss_crd'].memory.num_samples == 16
    fresh.load_state_dict(checkpoint['state_dict'])
    hook.before_train(runner)                   # same length: kept
    assert torch.equal(fresh.losses['loss_crd'].memory.memory_student,
                       model.losses['loss_crd'].memory.memory_student)
    runner.train_dataloader.dataset = list(range(17))
    with pytest.raises(ValueError, match='17'):
        hook.before_train(runner)


def test_salience_of_the_cotraining_distiller(cls_distiller_cfg, batch_factory):
    cotrain = build(cls_distiller_cfg, 'mgdfr-cotrain', 'cls')
    state = cotrain.state_dict()
    cfg = copy.deepcopy(cls_distiller_cfg)
    cfg.update(student_recorders=copy.deepcopy(RECORDERS['cls']),
               teacher_recorders=copy.deepcopy(RECORDERS['cls']), teacher_trainable=True)
    model = MODELS.build(salience_model_cfg(cfg, repeats=2))
    load_networks(model, state, 'cotrain.pth')
    salience = compute_salience(model, [batch_factory('cls', s) for s in range(2)])
    assert salience.shape == (FEAT['cls'], )
    assert float(salience.min()) == 0.0 and float(salience.max()) == 1.0
    with pytest.raises(CheckpointError, match='missing'):
        load_networks(model, {k: v for k, v in state.items() if 'head' not in k}, 'x.pth')


def test_metainfo_mapping_is_checked_at_build(cls_distiller_cfg):
    from fdkd_mm.models.distillers.mappings import parse_source
    source = parse_source('x', dict(metainfo='sample_idx'), {'student': []}, [])
    assert (source.kind, source.key) == ('metainfo', 'sample_idx')
    with pytest.raises(ValueError, match="metainfo='<key>'"):
        parse_source('x', dict(metainfo=True), {'student': []}, [])
    with pytest.raises(ValueError, match='only apply to recorder'):
        parse_source('x', dict(metainfo='sample_idx', from_student=True), {'student': []}, [])
    with pytest.raises(ValueError, match='exactly one source'):
        parse_source('x', dict(metainfo='sample_idx', labels=True), {'student': []}, [])
