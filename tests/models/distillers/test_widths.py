"""The distiller checks the widths its losses declare once: at build, or on the first step.

At build it knows the widths the recorded modules declare (a conv's ``out_channels``, a BN's
``num_features``); a module that declares none (a ReLU recorded by its input) is measured on
the first training step. After that the widths never change, so no step checks them again.
"""
import copy

import pytest

from fdkd_mm.models.distillers import cross_modal
from fdkd_mm.models.distillers.widths import WidthMismatchError
from fdkd_mm.registry import MODELS


@pytest.fixture
def count_checks(monkeypatch):
    """Counts the calls of the one width check the distiller makes."""
    calls = []
    check = cross_modal.check_loss_widths

    def counted(*args, **kwargs):
        calls.append(1)
        return check(*args, **kwargs)

    monkeypatch.setattr(cross_modal, 'check_loss_widths', counted)
    return calls


def test_declared_widths_are_checked_at_build_and_never_per_step(seg_distiller_cfg,
                                                                 batch_factory, count_checks):
    model = MODELS.build(seg_distiller_cfg).train()  # decode features: a BN declares 16
    assert len(count_checks) == 1 and not model._widths_pending
    for seed in range(3):
        model(**model.data_preprocessor(batch_factory('seg', seed), True), mode='loss')
    assert len(count_checks) == 1


def test_undeclared_widths_are_checked_on_the_first_step_only(cls_distiller_cfg,
                                                              batch_factory, count_checks):
    model = MODELS.build(cls_distiller_cfg).train()  # a ReLU's input: no declared width
    assert len(count_checks) == 1 and model._widths_pending
    for seed in range(3):
        model(**model.data_preprocessor(batch_factory('cls', seed), True), mode='loss')
    assert len(count_checks) == 2 and not model._widths_pending


def test_an_undeclared_width_mismatch_is_reported_on_the_first_step(cls_distiller_cfg,
                                                                    cls_batch):
    cfg = copy.deepcopy(cls_distiller_cfg)
    cfg['distill_losses']['loss_fd']['in_channels'] = 32  # the pooled ReLU input has 64
    model = MODELS.build(cfg).train()  # nothing declared to contradict it at build
    with pytest.raises(WidthMismatchError,
                       match=r"distill loss 'loss_fd' argument 'student_feat' expects 32 "
                             r"channels, but student recorder 'feat' \(path "
                             r"'backbone.layer4.1.relu', pool 'avg'\) gives 64\. Add "
                             r"connectors=dict\(student_feat=dict\(type='ProjectionConnector', "
                             r"in_channels=64, out_channels=32\)\)"):
        model(**model.data_preprocessor(cls_batch, True), mode='loss')


def test_a_declared_teacher_width_mismatch_is_reported_at_build(seg_distiller_cfg):
    cfg = copy.deepcopy(seg_distiller_cfg)
    cfg['teacher_recorders']['feat'] = dict(path='decode_head.conv_seg')  # 5 class logits
    with pytest.raises(WidthMismatchError,
                       match=r"argument 'teacher_feat' expects 16 channels, but teacher "
                             r"recorder 'feat' \(path 'decode_head.conv_seg'\) gives 5"):
        MODELS.build(cfg)
