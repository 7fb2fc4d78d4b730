"""The cache builder's choices: teacher batches, which recorders, where the cache goes."""
import pytest
from mmengine.config import Config

from fdkd_mm.teacher_cache.build import default_out_dir, padded_batches, select_recorders
from fdkd_mm.teacher_cache.manifest import TeacherCacheError


def test_every_batch_has_the_training_batch_size():
    assert padded_batches(5, 2) == [[0, 1], [2, 3], [4, 4]]  # the last sample repeated
    assert padded_batches(4, 2) == [[0, 1], [2, 3]]
    assert padded_batches(2, 8) == [[0, 1] + [1] * 6]


def test_recorders_the_losses_use_all_offered_or_named():
    model = Config.fromfile('configs/afd/afd_r18-audio_r18-visual_cremad.py').model
    assert sorted(select_recorders(model)) == ['logits', 'stage2', 'stage3', 'stage4']
    assert select_recorders(model)['stage2'] == dict(path='backbone.layer2')
    assert sorted(select_recorders(model, 'all')) == sorted(model.teacher_recorders)
    assert list(select_recorders(model, ['feat', 'logits'])) == ['feat', 'logits']
    with pytest.raises(TeacherCacheError, match=r"\['pooled'\] are not offered"):
        select_recorders(model, ['pooled'])


def test_one_cache_per_teacher_checkpoint():
    assert default_out_dir('work_dirs/uni_r18-audio_cremad/epoch_100.pth') == \
        'work_dirs/teacher_cache/uni_r18-audio_cremad_epoch_100'
