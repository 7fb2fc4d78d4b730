"""Manifest fields: the dataset digest."""
import hashlib

from fdkd_mm.teacher_cache.manifest import dataset_record


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
