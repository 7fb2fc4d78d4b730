"""check_model against a manifest's teacher identity: what a run may read from a cache."""
import pytest

from fdkd_mm.recording.identity import teacher_identity
from fdkd_mm.teacher_cache.checks import check_model
from fdkd_mm.teacher_cache.manifest import TeacherCacheError

NETWORK = dict(type='mmpretrain.ImageClassifier', backbone=dict(type='ResNet', depth=18))
RECORDERS = dict(feat=dict(path='neck', pool='avg'), logits=dict(path='head.fc'))


@pytest.fixture
def manifest(tmp_path):
    (tmp_path / 'teacher.pth').write_bytes(b'teacher')
    return dict(teacher=teacher_identity('audio', NETWORK, str(tmp_path / 'teacher.pth'),
                                         RECORDERS, [dict(type='LoadWaveform')]))


def test_a_run_reading_some_of_the_cached_tensors_is_served(manifest, tmp_path):
    check_model(manifest, 'cache/train', 'audio', NETWORK, str(tmp_path / 'teacher.pth'),
                dict(logits=dict(path='head.fc', pool=None)))


def test_a_tensor_the_cache_lacks_is_refused_with_the_recorders_to_rebuild_with(manifest,
                                                                              tmp_path):
    with pytest.raises(TeacherCacheError, match=(
            r"the teacher cache cache/train does not match this run:\n"
            r"  - teacher tensors \['stage2'\]: not in the cache \(it holds \['feat', "
            r"'logits'\]\); rebuild with --recorders feat logits stage2\n")):
        check_model(manifest, 'cache/train', 'audio', NETWORK, str(tmp_path / 'teacher.pth'),
                    dict(logits=dict(path='head.fc'), stage2=dict(path='backbone.layer2')))
