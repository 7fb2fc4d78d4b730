"""Manifest fields: normalised recorder and network specs, differences, the dataset digest."""
import hashlib
import shutil

from fdkd_mm.teacher_cache.manifest import (dataset_record, first_difference, network_spec,
                                            recorder_spec, sha256_file)


def test_recorders_compare_with_their_defaults_filled_in():
    assert recorder_spec(dict(path='head.fc')) == recorder_spec(
        dict(path='head.fc', source='output', call_index=0, data_index=0, pool=None,
             clone=True))
    assert recorder_spec(dict(path='backbone.layer4', pool='avg')) != recorder_spec(
        dict(path='backbone.layer4'))
    assert recorder_spec(dict(path='bn.weight', source='parameter')) == dict(
        path='bn.weight', source='parameter')


def test_where_weights_come_from_is_not_part_of_the_network():
    cfg = dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=18, init_cfg=dict(
        type='Pretrained', checkpoint='x.pth')), head=dict(num_classes=6), pretrained='y')
    assert network_spec(cfg) == dict(type='ImageClassifier',
                                     backbone=dict(depth=18, type='ResNet'),
                                     head=dict(num_classes=6))


def test_the_first_difference_is_named_by_its_path():
    cached = [dict(type='LoadWaveform', sample_rate=22050),
              dict(type='LogSpectrogram', hop_length=353, n_fft=512)]
    run = [dict(type='LoadWaveform', sample_rate=22050),
           dict(type='LogSpectrogram', hop_length=300, n_fft=512)]
    assert first_difference(cached, run) == '[1].hop_length: 353 in the cache, 300 in the run'
    assert first_difference(cached, cached[:1]) == 'list: 2 entries in the cache, 1 in the run'
    assert first_difference(dict(a=1), dict(a=1, b=2)) == 'b: only the run has it'
    assert first_difference(cached, [dict(c) for c in cached]) is None


class FakeDataset:
    """What dataset_record reads of an MMEngine dataset."""

    def __init__(self, root: str, names: list) -> None:
        self.data_root = root
        self.infos = [dict(audio_path=f'{root}/AudioWAV/{name}.wav', sample_idx=i)
                      for i, name in enumerate(names)]

    def __len__(self) -> int:
        return len(self.infos)

    def get_data_info(self, index: int) -> dict:
        return self.infos[index]


def test_the_dataset_digest_follows_the_samples_not_the_root(tmp_path):
    cfg = dict(type='fdkd_mm.CremaDDataset', data_root='a', ann_file='train.csv')
    record = dataset_record(FakeDataset('/data/a', ['x', 'y']), cfg, 'audio_path')
    expected = hashlib.sha256(b'["AudioWAV/x.wav"]\n["AudioWAV/y.wav"]\n').hexdigest()
    assert record == dict(type='fdkd_mm.CremaDDataset', length=2, input_key='audio_path',
                          samples_sha256=expected,
                          config=dict(data_root='a', ann_file='train.csv'))
    moved = dataset_record(FakeDataset('/elsewhere/b', ['x', 'y']), cfg, 'audio_path')
    assert moved['samples_sha256'] == expected
    reordered = dataset_record(FakeDataset('/data/a', ['y', 'x']), cfg, 'audio_path')
    assert reordered['samples_sha256'] != expected


def test_the_dataset_digest_sees_a_rewritten_file(tmp_path):
    (tmp_path / 'AudioWAV').mkdir()
    wav = tmp_path / 'AudioWAV' / 'x.wav'
    cfg = dict(type='fdkd_mm.CremaDDataset')
    digests = []
    for content in (b'RIFF1234', b'RIFF1234', b'RIFF12345678'):
        wav.write_bytes(content)
        digests.append(dataset_record(FakeDataset(str(tmp_path), ['x']), cfg,
                                      'audio_path')['samples_sha256'])
    assert digests[0] == digests[1] != digests[2]


def test_checkpoint_digest_is_the_files_sha256(tmp_path):
    path = tmp_path / 'teacher.pth'
    path.write_bytes(b'weights' * 300000)
    assert sha256_file(str(path), chunk=4096) == hashlib.sha256(b'weights' * 300000).hexdigest()
    shutil.copy(path, tmp_path / 'copy.pth')
    assert sha256_file(str(tmp_path / 'copy.pth')) == sha256_file(str(path))
