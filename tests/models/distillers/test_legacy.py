"""``type='FrequencyDecoupledDistiller'``: the former FD-CMKD class as a thin alias."""
import copy

import torch
from mmengine.runner.checkpoint import load_checkpoint

from fdkd_mm.registry import MODELS
from fdkd_mm.testing.tiny_models import BASE, NUM_CLS_CLASSES, tiny_classifier

PREACT = dict(path='backbone.layer4.1.relu', source='input', call_index=1)


def former_cfg(**extra) -> dict:
    """A config as written for the former class (CrisisMMD-like: a student projection)."""
    return dict(
        type='FrequencyDecoupledDistiller',
        student=tiny_classifier(3, mean=[127.5] * 3, std=[64.0] * 3),
        teacher=tiny_classifier(1), student_input='visual', teacher_input='audio',
        student_recorder=PREACT, teacher_recorder=PREACT, pool='avg',
        num_classes=NUM_CLS_CLASSES, in_channels=2 * BASE * 8,
        student_connector=dict(type='ProjectionConnector', in_channels=BASE * 8,
                               out_channels=2 * BASE * 8),
        teacher_connector=dict(type='ProjectionConnector', in_channels=BASE * 8,
                               out_channels=2 * BASE * 8),
        ablation=dict(log=False), **extra)


def test_former_config_builds_the_equivalent_distiller(cls_batch):
    model = MODELS.build(former_cfg())
    assert type(model).__name__ == 'CrossModalDistiller'
    loss = model.losses['loss_fd']
    assert loss.in_channels == 128 and loss.band_losses['high'].mode == 'mse'  # log=False
    assert set(model.connectors) == {'student_feat', 'teacher_feat'}
    assert model.pools == dict(student=dict(feat='avg'), teacher=dict(feat='avg'))
    losses = model(**model.data_preprocessor(cls_batch, True), mode='loss')
    assert {'distill.loss_low', 'distill.loss_high', 'align.loss_low_teacher',
            'aux.loss_high'} <= set(losses)


def test_checkpoint_of_the_former_class_loads(tmp_path, cls_batch):
    model = MODELS.build(former_cfg())
    # The former class kept heads, decoupler and connectors on the model itself.
    former_names = {'losses.loss_fd.shared_heads.': 'shared_heads.',
                    'losses.loss_fd.aux_heads.': 'aux_heads.',
                    'connectors.student_feat.': 'student_connector.',
                    'connectors.teacher_feat.': 'teacher_connector.'}
    state = {}
    for key, value in model.state_dict().items():
        for new, old in former_names.items():
            if key.startswith(new):
                key = old + key[len(new):]
        state[key] = value + 1.0 if value.is_floating_point() else value
    assert any(k.startswith('shared_heads.') for k in state)
    path = tmp_path / 'former.pth'
    torch.save(dict(state_dict=state, meta={}), path)

    fresh = MODELS.build(former_cfg())
    load_checkpoint(fresh, str(path), strict=True, logger='silent')
    for key, value in fresh.state_dict().items():
        if value.is_floating_point():
            torch.testing.assert_close(value, model.state_dict()[key] + 1.0, msg=key)


def test_other_arguments_pass_through():
    model = MODELS.build(former_cfg(teacher_trainable=True,
                                    data_preprocessor=None, init_cfg=None))
    model.train()
    assert model.teacher.training and model.teacher_trainable
    copy.deepcopy(model)  # the load hook keeps the model copyable (the benchmark copies)
