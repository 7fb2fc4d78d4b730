"""The cache builder's choices: which recorders, where the cache goes, which preprocessor."""
import pytest
import torch
from mmengine.config import Config

from fdkd_mm.registry import MODELS
from fdkd_mm.teacher_cache.build import default_out_dir, load_teacher, select_recorders
from fdkd_mm.testing.tiny_models import tiny_classifier
from fdkd_mm.teacher_cache.manifest import TeacherCacheError


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


def test_the_distillers_own_preprocessor_of_the_teacher_modality_is_used(tmp_path):
    teacher = tiny_classifier(1)
    torch.save(dict(state_dict=MODELS.build(teacher).state_dict()), tmp_path / 'teacher.pth')
    audio = dict(type='mmpretrain.ClsDataPreprocessor', mean=[1.5], std=[2.0], to_rgb=False)
    model = dict(teacher=teacher, teacher_input='audio',
                 teacher_ckpt=str(tmp_path / 'teacher.pth'),
                 data_preprocessor=dict(type='MultiModalDataPreprocessor',
                                        preprocessors=dict(audio=audio, visual=dict(
                                            type='fdkd_mm.VideoDataPreprocessor'))))
    preprocessor = load_teacher(model, torch.device('cpu')).data_preprocessor
    assert preprocessor.mean.flatten().tolist() == [1.5]
    assert preprocessor.std.flatten().tolist() == [2.0]
