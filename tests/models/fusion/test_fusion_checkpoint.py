"""A fusion teacher's checkpoint is checked by the rules of any teacher: its run records the
modalities it packs ('audio+visual') and its network with one backbone per modality."""
from pathlib import Path

import pytest
from mmengine.config import Config

from fdkd_mm.checkpoint.metadata import (MODEL_RECORD_KEY, TeacherCheckpointError,
                                         check_teacher_checkpoint, model_arch, model_record)

REPO = Path(__file__).resolve().parents[3]


def record_of(config: str) -> dict:
    return dict(meta={MODEL_RECORD_KEY: model_record(Config.fromfile(str(REPO / config)))},
                state_dict={})


def test_the_fusion_run_fits_its_mm_cells_in_any_key_order():
    checkpoint = record_of('configs/mm/uni_fusion-r18-av_cremad.py')
    assert checkpoint['meta'][MODEL_RECORD_KEY]['modality'] == 'audio+visual'
    cell = Config.fromfile(str(REPO / 'configs/mm/kd_fusion-r18-av_r18-visual_cremad.py'))
    arch = model_arch(cell.model.teacher)
    assert arch == ('FusionClassifier/audio:ResNet-18+visual:FrameFoldingBackbone(ResNet-18)/'
                    'LinearClsHead')
    for keys in (['audio', 'visual'], ['visual', 'audio'], 'audio+visual'):
        check_teacher_checkpoint(checkpoint, keys, arch)


def test_a_unimodal_run_is_refused_as_fusion_teacher_and_vice_versa():
    cell = Config.fromfile(str(REPO / 'configs/mm/kd_fusion-r18-av_r18-visual_cremad.py'))
    audio_run = record_of('configs/uni/uni_r18-audio_cremad.py')
    with pytest.raises(TeacherCheckpointError, match="trained on 'audio', but the teacher "
                                                     "reads 'audio\\+visual'"):
        check_teacher_checkpoint(audio_run, ['audio', 'visual'], None)
    with pytest.raises(TeacherCheckpointError, match='its network is ImageClassifier'):
        check_teacher_checkpoint(audio_run, None, model_arch(cell.model.teacher))
    fusion_run = record_of('configs/mm/uni_fusion-r18-av_cremad.py')
    with pytest.raises(TeacherCheckpointError, match="trained on 'audio\\+visual'"):
        check_teacher_checkpoint(fusion_run, 'visual', None)
