"""The teacher's classifier read into a bank: found through the logits recorder (mmpretrain's
head.fc), its tensors the module's own, refused where a named module is not the K x D Linear,
and left out where the logits come from something else (a segmentation head)."""
import pytest
import torch

from fdkd_mm.registry import MODELS
from fdkd_mm.teacher_bank.classifier import teacher_classifier
from fdkd_mm.testing.tiny_models import (BASE, NUM_CLS_CLASSES, NUM_SEG_CLASSES,
                                         tiny_classifier, tiny_segmentor)

RECORDERS = dict(logits=dict(path='head.fc'), feat=dict(path='backbone.layer4', pool='avg'))


@pytest.fixture(scope='module')
def teacher():
    return MODELS.build(tiny_classifier(1))


def test_auto_reads_the_linear_the_logits_recorder_records(teacher):
    tensors, record = teacher_classifier(teacher, 'auto', RECORDERS, NUM_CLS_CLASSES, 8 * BASE)
    assert torch.equal(tensors['classifier_weight'], teacher.head.fc.weight.detach())
    assert torch.equal(tensors['classifier_bias'], teacher.head.fc.bias.detach())
    assert record['path'] == 'head.fc'
    assert (record['num_classes'], record['dim']) == (NUM_CLS_CLASSES, 8 * BASE)
    assert teacher_classifier(teacher, None, RECORDERS, NUM_CLS_CLASSES, 8 * BASE) is None


def test_a_named_module_that_is_not_the_classifier_is_refused(teacher):
    with pytest.raises(ValueError, match=r"module 'backbone.conv1' is not an nn.Linear"):
        teacher_classifier(teacher, 'backbone.conv1', RECORDERS, NUM_CLS_CLASSES, 8 * BASE)
    with pytest.raises(ValueError, match=r"'head.fc' is an nn.Linear\(64, 6\).*to the 7 classes"):
        teacher_classifier(teacher, 'head.fc', RECORDERS, NUM_CLS_CLASSES + 1, 8 * BASE)


def test_auto_keeps_none_for_a_segmentation_head():
    segmentor = MODELS.build(tiny_segmentor(3, None, None, False))
    recorders = dict(logits=dict(path='decode_head.conv_seg'))
    assert teacher_classifier(segmentor, 'auto', recorders, NUM_SEG_CLASSES, 16) is None
