"""CREMA-D, AVE and VGGSound read their public layouts, label as documented and fail loudly."""
import os
import os.path as osp

import numpy as np
import pytest
import torch

from fdkd_mm.testing.synthetic_audio_visual import (AVE_NAMES, VGGSOUND_NAMES, class_colour,
                                                    tone_frequency, write_synthetic_ave,
                                                    write_synthetic_cremad,
                                                    write_synthetic_vggsound)
from fdkd_mm.registry import DATASETS

FRAMES = [dict(type='fdkd_mm.SampleFrames', num_frames=2, random=False),
          dict(type='fdkd_mm.LoadFrames'),
          dict(type='fdkd_mm.FramesResize', scale=24)]
PACK = dict(type='fdkd_mm.PackAudioVisualInputs', keys=('audio', 'visual'))


def wav_pipeline(rate, duration, n_fft=512, hop=353):
    return [dict(type='fdkd_mm.LoadWaveform', sample_rate=rate),
            dict(type='fdkd_mm.LogSpectrogram', duration=duration, n_fft=n_fft, hop_length=hop),
            *FRAMES, PACK]


def check_sample(sample, label, tone_index, num_classes, rate, n_fft, frames):
    """Both modalities present, shaped as documented, carrying the class's tone and colour.

    ``label`` is the dataset's class index, ``tone_index`` the writer's (its name order).
    """
    audio, visual = sample['inputs']['audio'], sample['inputs']['visual']
    assert audio.dtype == torch.float32 and audio.shape == (1, n_fft // 2 + 1, frames)
    assert visual.dtype == torch.uint8 and visual.shape == (3, 2, 24, 24)
    assert sample['data_samples'].gt_label.tolist() == [label]
    expected_bin = round(tone_frequency(tone_index) * n_fft / rate)
    assert abs(int(audio[0].mean(1).argmax()) - expected_bin) <= 1
    mean_rgb = visual.float().mean(dim=(1, 2, 3)).numpy()
    # Frames are the class colour times a brightness gain in [0.85, 1] (see the writer).
    np.testing.assert_allclose(mean_rgb, np.array(class_colour(tone_index, num_classes)) * 0.925,
                               atol=14)


# ---------------------------------------------------------------- CREMA-D
def test_cremad_layout_labels_and_sample(tmp_path):
    rows = write_synthetic_cremad(str(tmp_path), clips_per_class=(2, 1))
    dataset = DATASETS.build(dict(type='fdkd_mm.CremaDDataset', data_root=str(tmp_path),
                                  ann_file='train.csv', pipeline=wav_pipeline(22050, 3.0)))
    assert len(dataset) == len(rows['train']) == 12
    assert dataset.metainfo['classes'] == ('NEU', 'HAP', 'SAD', 'FEA', 'DIS', 'ANG')
    documented = dict(NEU=0, HAP=1, SAD=2, FEA=3, DIS=4, ANG=5)
    for index, (clip, emotion) in enumerate(rows['train']):
        info = dataset.get_data_info(index)
        assert info['clip_id'] == clip and info['gt_label'] == documented[emotion]
        assert info['audio_path'] == osp.join(str(tmp_path), 'AudioWAV', clip + '.wav')
        assert info['frame_dir'] == osp.join(str(tmp_path), 'Image-01-FPS', clip)
    index = [emotion for _, emotion in rows['train']].index('FEA')
    check_sample(dataset[index], 3, 3, 6, 22050, 512, 188)
    test = DATASETS.build(dict(type='fdkd_mm.CremaDDataset', data_root=str(tmp_path),
                               ann_file='test.csv'))
    assert len(test) == 6


def build_cremad(root):
    return DATASETS.build(dict(type='fdkd_mm.CremaDDataset', data_root=root,
                               ann_file='train.csv'))


def test_cremad_malformed_row_names_file_and_line(tmp_path):
    write_synthetic_cremad(str(tmp_path), clips_per_class=(1, 1))
    with open(tmp_path / 'train.csv', 'a') as f:
        f.write('1099_DFA_ANG_XX\n')
    with pytest.raises(ValueError, match=r'train\.csv:7: malformed row .1099_DFA_ANG_XX'):
        build_cremad(str(tmp_path))


def test_cremad_unknown_class_and_missing_files(tmp_path):
    root = str(tmp_path)
    write_synthetic_cremad(root, clips_per_class=(1, 1))
    lines = (tmp_path / 'train.csv').read_text().splitlines()
    clip = lines[0].split(',')[0]
    (tmp_path / 'train.csv').write_text('\n'.join([f'{clip},JOY'] + lines[1:]) + '\n')
    with pytest.raises(ValueError, match=r"train\.csv:1: class 'JOY'"):
        build_cremad(root)
    (tmp_path / 'train.csv').write_text('\n'.join(lines) + '\n')
    os.remove(osp.join(root, 'AudioWAV', clip + '.wav'))
    with pytest.raises(FileNotFoundError, match=f'AudioWAV/{clip}.wav'):
        build_cremad(root)
    clip2 = lines[1].split(',')[0]
    (tmp_path / 'train.csv').write_text('\n'.join(lines[1:]) + '\n')
    os.rename(osp.join(root, 'Image-01-FPS', clip2), osp.join(root, 'moved'))
    with pytest.raises(FileNotFoundError, match=f'Image-01-FPS/{clip2}'):
        build_cremad(root)


# ---------------------------------------------------------------- AVE
@pytest.mark.parametrize('audio_format', ['pkl', 'npy'])
def test_ave_precomputed_spectrograms(tmp_path, audio_format):
    rows = write_synthetic_ave(str(tmp_path), num_classes=3, audio_format=audio_format)
    pipeline = [dict(type='fdkd_mm.LoadSpectrogram', num_frames=64), *FRAMES, PACK]
    dataset = DATASETS.build(dict(type='fdkd_mm.AVEDataset', data_root=str(tmp_path),
                                  ann_file='trainSet.txt', audio_suffix=f'.{audio_format}',
                                  pipeline=pipeline))
    # Sorted union of the three split files' categories.
    assert dataset.metainfo['classes'] == ('Bark', 'Church bell', 'Male speech, man speaking')
    assert f'Audio-1004-SE/<clip>.{audio_format}' in repr(dataset)
    documented = {'Bark': 0, 'Church bell': 1, 'Male speech, man speaking': 2}
    assert [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))] == [
        documented[name] for _, name in rows['train']]
    sample = dataset[0]
    audio = sample['inputs']['audio']
    # 0.5 s at 16 kHz through the public scipy spectrogram: (8000 - 512) // 159 + 1 frames,
    # repeated along time to 64.
    assert audio.shape == (1, 257, 64)
    np.testing.assert_array_equal(audio[0, :, 48:].numpy(), audio[0, :, :16].numpy())
    name = rows['train'][0][1]
    assert sample['data_samples'].gt_label.tolist() == [documented[name]]
    tone = tone_frequency(AVE_NAMES.index(name))
    assert abs(int(audio[0].mean(1).argmax()) - round(tone * 512 / 16000)) <= 1


def test_ave_wav_audio_and_consistent_labels_across_splits(tmp_path):
    root = str(tmp_path)
    rows = write_synthetic_ave(root, num_classes=3, audio_format='wav')
    # The test split lists one class only; its index must still be the one of the union.
    test_rows = [(vid, name) for vid, name in rows['test'] if name == 'Male speech, man speaking']
    (tmp_path / 'testSet.txt').write_text(
        ''.join(f'{name}&{vid}&good&0&10\n' for vid, name in test_rows))
    test = DATASETS.build(dict(type='fdkd_mm.AVEDataset', data_root=root, ann_file='testSet.txt',
                               audio_suffix='.wav', data_prefix=dict(audio='Audio-WAV'),
                               pipeline=wav_pipeline(16000, 0.5)))
    assert len(test) == 1 and test.get_data_info(0)['gt_label'] == 2
    check_sample(test[0], 2, AVE_NAMES.index('Male speech, man speaking'), 3, 16000, 512,
                 1 + 8000 // 353)


def test_ave_malformed_and_duplicate_rows(tmp_path):
    root = str(tmp_path)
    rows = write_synthetic_ave(root, num_classes=2)
    vid, name = rows['train'][0]
    with open(tmp_path / 'trainSet.txt', 'a') as f:
        f.write(f'{name}&{vid}&good&0&10\n')  # repeated video: kept once
    dataset = DATASETS.build(dict(type='fdkd_mm.AVEDataset', data_root=root,
                                  ann_file='trainSet.txt'))
    assert len(dataset) == len(rows['train'])
    with open(tmp_path / 'trainSet.txt', 'a') as f:
        f.write(f'{name}&{vid}&good&zero&10\n')
    with pytest.raises(ValueError, match=r'trainSet\.txt:6: malformed row'):
        DATASETS.build(dict(type='fdkd_mm.AVEDataset', data_root=root,
                            ann_file='trainSet.txt'))
    with pytest.raises(FileNotFoundError, match='split file not found'):
        DATASETS.build(dict(type='fdkd_mm.AVEDataset', data_root=root, ann_file='nope.txt'))


# ---------------------------------------------------------------- VGGSound
def vggsound_cfg(root, folder, **extra):
    """Config reading ``<folder>.csv`` and the ``<folder>-audios`` / ``<folder>-videos`` trees."""
    return dict(type='fdkd_mm.VGGSoundDataset', data_root=root, ann_file=f'{folder}.csv',
                data_prefix=dict(audio=f'{folder}-audios/{folder}-set',
                                 visual=f'{folder}-videos/{folder}-set-img/Image-01-FPS'),
                **extra)


def test_vggsound_layout_quoted_labels_and_sample(tmp_path):
    root = str(tmp_path)
    rows = write_synthetic_vggsound(root, num_classes=3)
    cfg = vggsound_cfg(root, 'test', class_files=['train.csv'],
                       pipeline=wav_pipeline(16000, 0.5, hop=128))
    dataset = DATASETS.build(cfg)
    assert dataset.metainfo['classes'] == ('dog barking', 'male singing',
                                           'playing violin, fiddle')
    documented = {'dog barking': 0, 'male singing': 1, 'playing violin, fiddle': 2}
    for index, (clip, name) in enumerate(rows['test']):
        info = dataset.get_data_info(index)
        assert info['clip_id'] == clip and info['gt_label'] == documented[name]
        assert info['frame_dir'].endswith(f'Image-01-FPS/{clip}.mp4')
        assert info['audio_path'].endswith(f'test-audios/test-set/{clip}.wav')
    index = [name for _, name in rows['test']].index('playing violin, fiddle')
    check_sample(dataset[index], 2, VGGSOUND_NAMES.index('playing violin, fiddle'), 3, 16000,
                 512, 1 + 8000 // 128)


def test_vggsound_full_csv_with_split_column(tmp_path):
    root = str(tmp_path)
    rows = write_synthetic_vggsound(root, num_classes=2)
    lines = []
    for split in ('train', 'test'):
        for line in (tmp_path / f'{split}.csv').read_text().splitlines():
            lines.append(f'{line},{split}')
    (tmp_path / 'vggsound.csv').write_text('\n'.join(lines) + '\n')
    cfg = vggsound_cfg(root, 'test', split='test')
    cfg['ann_file'] = 'vggsound.csv'
    dataset = DATASETS.build(cfg)
    assert [dataset.get_data_info(i)['clip_id'] for i in range(len(dataset))] == [
        clip for clip, _ in rows['test']]
    cfg.pop('split')
    with pytest.raises(ValueError, match='split="train"'):
        DATASETS.build(cfg)


def test_vggsound_malformed_start_and_missing_video(tmp_path):
    root = str(tmp_path)
    rows = write_synthetic_vggsound(root, num_classes=2)
    with open(tmp_path / 'train.csv', 'a') as f:
        f.write('abcdefghijk,12s,dog barking\n')
    with pytest.raises(ValueError, match=r'train\.csv:5: malformed row .abcdefghijk,12s'):
        DATASETS.build(vggsound_cfg(root, 'train'))
    clip = rows['test'][0][0]
    os.rename(osp.join(root, 'test-videos/test-set-img/Image-01-FPS', clip + '.mp4'),
              osp.join(root, 'gone'))
    with pytest.raises(FileNotFoundError, match=f'{clip}.mp4'):
        DATASETS.build(vggsound_cfg(root, 'test', missing_files='error'))
