"""tools/dataset_converters/vggsound.py on real mp4 clips written by the test.

The raw tree is what a user holds: the official ``vggsound.csv`` (4 columns, a label with a
comma) and ``<ytid>_<start:06d>.mp4`` clips (H.264 + AAC, frames coded with their index, a sine
of the label's tone), one of them in a sub-folder without zero padding, one missing, one
corrupt. Clips are 3 s at 10 fps: the rule (first frame of every second) keeps 0, 10 and 20.
"""
import shutil

import pytest
from mmengine.registry import init_default_scope

from converter_checks import (REPO, dominant_frequency, frame_codes, load_converter, read_wav,
                              snapshot, train_two_iterations)
from fdkd_mm.testing.synthetic_audio_visual import VGGSOUND_NAMES, tone_frequency
from fdkd_mm.testing.synthetic_downloads import write_raw_vggsound

vggsound = load_converter('vggsound')
SECONDS, FPS = 3.0, 10
EXPECTED_CODES = [0, 10, 20]
LABELS = VGGSOUND_NAMES[:3]  # 'playing violin, fiddle', 'dog barking', 'male singing'
SUBSET = LABELS[:2]


def csv_row(ytid: str, start: int, label: str) -> str:
    return f'{ytid},{start},"{label}"' if ',' in label else f'{ytid},{start},{label}'


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    base = tmp_path_factory.mktemp('vggsound')
    raw, out = base / 'raw', base / 'out'
    rows = write_raw_vggsound(str(raw), clips_per_split=(6, 3), labels=LABELS, seconds=SECONDS,
                              fps=FPS)
    missing, corrupt, moved = rows[0], rows[1], rows[3]
    (raw / 'video' / f'{missing[0]}_{missing[1]:06d}.mp4').unlink()
    (raw / 'video' / f'{corrupt[0]}_{corrupt[1]:06d}.mp4').write_bytes(b'not an mp4' * 50)
    (raw / 'nested').mkdir()
    shutil.move(raw / 'video' / f'{moved[0]}_{moved[1]:06d}.mp4',
                raw / 'nested' / f'{moved[0]}_{moved[1]}.mp4')
    classes = base / 'classes.txt'
    classes.write_text('\n'.join(SUBSET) + '\n')
    code = vggsound.main([str(raw), str(out), '--classes', str(classes), '--no-progress',
                          '--workers', '2'])
    return dict(raw=raw, out=out, rows=rows, code=code, classes=classes,
                dropped={missing[0]: 'missing video', corrupt[0]: 'corrupt or unreadable video'})


def test_frames_wavs_and_class_subset_split_files(converted):
    out, rows = converted['out'], converted['rows']
    assert converted['code'] == 0
    for split in ('train', 'test'):
        expected = [row for row in rows if row[3] == split and row[2] in SUBSET
                    and row[0] not in converted['dropped']]
        written = (out / f'{split}.csv').read_text().splitlines()
        assert written == [csv_row(*row[:3]) for row in expected]
        for ytid, start, label, _ in expected:
            clip = f'{ytid}_{start:06d}'
            frames = out / f'{split}-videos/{split}-set-img/Image-01-FPS/{clip}.mp4'
            assert frame_codes(frames) == EXPECTED_CODES
            rate, samples = read_wav(out / f'{split}-audios/{split}-set/{clip}.wav')
            assert rate == 16000 and abs(len(samples) / rate - SECONDS) < 0.06
            assert abs(dominant_frequency(samples, rate) - tone_frequency(LABELS.index(label))) < 2


def test_missing_and_undecodable_clips_are_counted(converted):
    table = (converted['out'] / 'conversion_failures.tsv').read_text().splitlines()[1:]
    reasons = {line.split('\t')[0]: line.split('\t')[1] for line in table}
    assert {clip[:-7]: reason for clip, reason in reasons.items()} == converted['dropped']


def test_rerun_skips_complete_outputs(converted, capsys):
    before = snapshot(converted['out'])
    assert vggsound.main([str(converted['raw']), str(converted['out']), '--classes',
                          str(converted['classes']), '--no-progress']) == 0
    printed = capsys.readouterr().out
    assert '6 clips: 0 converted, 4 already complete, 2 failed' in printed
    assert 'train.csv: 2 clips (2 rows dropped' in printed
    assert snapshot(converted['out']) == before


def test_public_split_files_and_unknown_classes(converted, tmp_path, capsys):
    rows = [row for row in converted['rows'] if row[0] not in converted['dropped']]
    train, test = tmp_path / 'train_tiny.csv', tmp_path / 'test_tiny.csv'
    train.write_text(''.join(csv_row(*row[:3]) + '\n' for row in rows if row[3] == 'train'))
    test.write_text(''.join(csv_row(*row[:3]) + '\n' for row in rows if row[3] == 'test'))
    out = tmp_path / 'out'
    assert vggsound.main([str(converted['raw']), str(out), '--split-files', str(train),
                          str(test), '--no-progress']) == 0
    assert (out / 'train.csv').read_text() == train.read_text()
    assert (out / 'test.csv').read_text() == test.read_text()
    # C2KD's train_tiny.csv / test_tiny.csv carry a fourth (split) column.
    for path in (train, test):
        split = path.stem.split('_')[0]
        path.write_text(''.join(f'{line},{split}\n' for line in path.read_text().splitlines()))
    out4 = tmp_path / 'out4'
    assert vggsound.main([str(converted['raw']), str(out4), '--split-files', str(train),
                          str(test), '--no-progress']) == 0
    assert (out4 / 'train.csv').read_text() == (out / 'train.csv').read_text()
    typo = tmp_path / 'typo.txt'
    typo.write_text('dog barking\ndog barkin\n')
    assert vggsound.main([str(converted['raw']), str(out), '--classes', str(typo),
                          '--no-progress']) == 1
    assert "classes ['dog barkin'] are in no row" in capsys.readouterr().err


def test_verify_counts_per_split_and_class(converted, capsys):
    assert vggsound.main([str(converted['raw']), str(converted['out']), '--verify',
                          '--no-progress']) == 0
    printed = capsys.readouterr().out
    assert 'train: 2 clips in 2 classes' in printed and 'test: 2 clips in 2 classes' in printed
    assert '  dog barking                  1' in printed
    assert 'VGGSound: layout OK' in printed


def test_output_builds_the_config_dataset_and_trains(converted, tmp_path):
    from mmengine.config import Config

    from fdkd_mm.registry import DATASETS
    init_default_scope('fdkd_mm')
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/vggsound_av.py'))
    dataset = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=str(converted['out'])))
    assert dataset.metainfo['classes'] == tuple(sorted(SUBSET))
    sample = dataset[0]
    assert tuple(sample['inputs']['audio'].shape) == (1, 257, 626)
    assert tuple(sample['inputs']['visual'].shape) == (3, 3, 224, 224)
    train_two_iterations('configs/uni/uni_r18-visual_vggsound.py', converted['out'],
                         tmp_path / 'work', 'visual')
