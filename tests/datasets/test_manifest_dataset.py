"""ManifestDataset: CSV / JSON lines, kinds by file type, loaders, packing, bad input."""
import csv
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from scipy.io import wavfile

from fdkd_mm.datasets.check import check_config_data
from fdkd_mm.datasets.manifest import ManifestDataset
from fdkd_mm.datasets.transforms.load_modality import LoadLabelMap, LoadModality
from fdkd_mm.datasets.transforms.modality_geometry import RandomFlipModalities, ResizeModalities
from fdkd_mm.datasets.transforms.pack_modalities import PackModalityInputs
from fdkd_mm.errors import DataError
from fdkd_mm.testing.synthetic_manifest import (CLASS_NAMES, DISTANCES_MM, TONES_HZ,
                                                write_cls_folders, write_seg_folders,
                                                write_tokenizer)

MODALITIES = dict(rgb='rgb', depth='depth', audio='audio', text='text')


@pytest.fixture(scope='module')
def cls_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('cls'))
    write_cls_folders(root, per_class=4)
    write_tokenizer(osp.join(root, 'tokenizer'))
    return root


def _rows(path: str) -> list[dict]:
    with open(path, newline='') as handle:
        return list(csv.DictReader(handle))


def _write_csv(path: str, rows: list[dict]) -> str:
    with open(path, 'w', newline='') as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_kinds_classes_splits_and_labels(cls_root):
    train = ManifestDataset(ann_file='manifest.csv', data_root=cls_root, modalities=MODALITIES,
                            split='train')
    val = ManifestDataset(ann_file='manifest.csv', data_root=cls_root, modalities=MODALITIES,
                          split='val')
    rows = _rows(osp.join(cls_root, 'manifest.csv'))
    assert len(train) + len(val) == len(rows) == 12
    assert len(train) == sum(row['split'] == 'train' for row in rows)
    # Found labels, sorted; the same list whatever the split (found over the whole manifest).
    assert train.metainfo['classes'] == val.metainfo['classes'] == tuple(sorted(CLASS_NAMES))
    info = train.get_data_info(1)
    assert info['modality_kinds'] == dict(rgb='image', depth='depth', audio='audio',
                                          text='text')
    row = next(r for r in rows if r['id'] == info['sample_id'])
    assert info['gt_label'] == sorted(CLASS_NAMES).index(row['label'])
    assert info['rgb_path'] == osp.join(cls_root, row['rgb'])
    assert info['text_text'] == row['text']
    assert info['row'] == rows.index(row) + 2  # the header is line 1


def test_json_lines_same_as_csv(cls_root, tmp_path):
    rows = _rows(osp.join(cls_root, 'manifest.csv'))
    path = osp.join(cls_root, 'manifest.jsonl')
    with open(path, 'w') as handle:
        for row in rows:
            handle.write(json.dumps(row) + '\n')
    from_json = ManifestDataset(ann_file='manifest.jsonl', data_root=cls_root,
                                modalities=MODALITIES)
    from_csv = ManifestDataset(ann_file='manifest.csv', data_root=cls_root,
                               modalities=MODALITIES)
    strip = ('row', 'manifest', 'sample_idx')
    assert [{k: v for k, v in from_json.get_data_info(i).items() if k not in strip}
            for i in range(len(rows))] == \
        [{k: v for k, v in from_csv.get_data_info(i).items() if k not in strip}
         for i in range(len(rows))]


def test_loaders_decode_each_kind(cls_root):
    dataset = ManifestDataset(ann_file='manifest.csv', data_root=cls_root,
                              modalities=MODALITIES)
    info = dataset.get_data_info(0)
    label = info['gt_label']
    name = dataset.metainfo['classes'][label]
    original = CLASS_NAMES.index(name)
    results = dict(info)
    for modality in ('rgb', 'depth'):
        results = LoadModality(modality).transform(results)
    results = LoadModality('audio', sample_rate=8000, duration=0.5, n_fft=256,
                           hop_length=128).transform(results)
    results = LoadModality('text', tokenizer_path=osp.join(cls_root, 'tokenizer'),
                           max_length=10).transform(results)
    np.testing.assert_array_equal(results['rgb'], cv2.imread(info['rgb_path']))
    assert results['depth'].dtype == np.float32
    assert abs(float(np.median(results['depth'])) - DISTANCES_MM[original] / 1000) < 0.06
    spec = results['audio']
    assert spec.shape == (1, 129, 1 + 4000 // 128)
    # The tone's bin is the loudest: f * n_fft / rate.
    assert abs(int(spec[0].mean(axis=1).argmax()) - TONES_HZ[original] * 256 / 8000) <= 1
    vocab = {'[CLS]': 2, '[SEP]': 3, 'a': 5, 'photo': 6, 'of': 7, 'the': 8, 'kitchen': 9,
             'office': 10, 'street': 11, 'scene': 12}
    words = ['a', 'photo', 'of', 'the', name, 'scene']
    expected_ids = [2] + [vocab[w] for w in words] + [3, 0, 0]
    np.testing.assert_array_equal(results['text'], [expected_ids, [1] * 8 + [0, 0]])
    packed = PackModalityInputs(('rgb', 'depth', 'audio', 'text')).transform(results)
    inputs = packed['inputs']
    assert inputs['rgb'].shape == (3, 24, 32) and inputs['rgb'].dtype == torch.uint8
    assert inputs['depth'].shape == (3, 24, 32)
    assert torch.equal(inputs['depth'][0], inputs['depth'][2])
    assert inputs['text'].dtype == torch.int64 and inputs['text'].shape == (2, 10)
    assert int(packed['data_samples'].gt_label) == label
    plain = PackModalityInputs(('rgb', ), plain_inputs=True).transform(results)
    assert torch.equal(plain['inputs'], inputs['rgb'])


def test_npy_and_frame_folder(tmp_path):
    root = tmp_path
    (root / 'frames' / 'c0').mkdir(parents=True)
    for index, value in enumerate((10, 20, 30, 40)):
        cv2.imwrite(str(root / 'frames' / 'c0' / f'f{index + 1}.png'),
                    np.full((8, 6, 3), value, np.uint8))
    np.save(root / 'feat.npy', np.arange(12, dtype=np.float64).reshape(3, 4))
    _write_csv(str(root / 'm.csv'), [dict(id='a', clip='frames/c0', feat='feat.npy',
                                          label='x')])
    dataset = ManifestDataset(ann_file='m.csv', data_root=str(root),
                              modalities=dict(clip='clip', feat='feat'))
    info = dataset.get_data_info(0)
    assert info['modality_kinds'] == dict(clip='video', feat='npy')
    results = LoadModality('clip', num_frames=2).transform(dict(info))
    results = LoadModality('feat').transform(results)
    # 4 frames, 2 segments: the middle frame of each segment is frame 1 then 3 (0-based 0, 2).
    assert results['clip'].shape == (2, 8, 6, 3)
    assert results['clip'][:, 0, 0, 0].tolist() == [10, 30]
    np.testing.assert_array_equal(results['feat'], np.arange(12).reshape(3, 4))
    assert results['feat'].dtype == np.float32
    np.save(root / 'obj.npy', np.array([{'a': 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match='pickled'):
        LoadModality('feat', kind='npy').transform(dict(info, feat_path=str(root / 'obj.npy')))


def test_every_problem_named_at_once(cls_root, tmp_path):
    rows = _rows(osp.join(cls_root, 'manifest.csv'))[:6]
    rows[1]['rgb'] = 'rgb/missing.png'
    rows[2]['depth'] = '../../etc/passwd.png'
    rows[3]['audio'] = '/etc/passwd.wav'
    rows[4]['id'] = rows[0]['id']
    rows[5]['label'] = 'garage'
    path = _write_csv(osp.join(cls_root, 'bad.csv'), rows)
    with pytest.raises(DataError) as caught:
        ManifestDataset(ann_file=path, data_root=cls_root, modalities=MODALITIES,
                        classes=CLASS_NAMES)
    message = str(caught.value)
    assert '5 problem(s)' in message
    assert "row 3, column 'rgb': file not found" in message
    assert "row 4, column 'depth'" in message and 'leaves the data root' in message
    assert "row 5, column 'audio'" in message and 'absolute path' in message
    assert f"row 6, column 'id': duplicate sample id '{rows[0]['id']}' (first on row 2)" \
        in message
    assert "row 7, column 'label': label 'garage' is not in the class list" in message
    # The switch lets absolute paths and escapes through (the missing file still counts).
    with pytest.raises(DataError) as caught:
        ManifestDataset(ann_file=path, data_root=cls_root, modalities=MODALITIES,
                        classes=CLASS_NAMES, allow_outside=True, check_files=False)
    assert '2 problem(s)' in str(caught.value)


def test_missing_columns_listed(cls_root):
    with pytest.raises(DataError) as caught:
        ManifestDataset(ann_file='manifest.csv', data_root=cls_root,
                        modalities=dict(rgb='rgb', lidar='lidar'), label_column='class')
    message = str(caught.value)
    assert "missing modality 'lidar' column 'lidar'" in message
    assert "missing label column 'class'" in message


def test_label_by_index_and_class_file(tmp_path):
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((4, 4, 3), np.uint8))
    (tmp_path / 'classes.txt').write_text('# my classes\ncat\ndog\n\nbird\n')
    with open(tmp_path / 'm.csv', 'w') as handle:
        handle.write('img,cls\na.png,2\na.png,dog\n')
    dataset = ManifestDataset(ann_file='m.csv', data_root=str(tmp_path),
                              modalities=dict(img=0), label_column=1,
                              classes='classes.txt', id_column=None)
    assert dataset.metainfo['classes'] == ('cat', 'dog', 'bird')
    assert [dataset.get_data_info(i)['gt_label'] for i in range(2)] == [2, 1]
    with open(tmp_path / 'm.csv', 'a') as handle:
        handle.write('a.png,3\n')
    with pytest.raises(DataError, match="row 4, column 'cls': label '3'"):
        ManifestDataset(ann_file='m.csv', data_root=str(tmp_path), modalities=dict(img=0),
                        label_column=1, classes='classes.txt', id_column=None)


def test_unreadable_file_names_row_column_file(cls_root, tmp_path):
    root = str(tmp_path)
    write_cls_folders(root, per_class=1)
    broken = osp.join(root, 'rgb', '0001.png')
    with open(broken, 'wb') as handle:
        handle.write(b'\x89PNG\r\n\x1a\n truncated')
    dataset = ManifestDataset(ann_file='manifest.csv', data_root=root,
                              modalities=dict(rgb='rgb'), split='train')
    info = next(dataset.get_data_info(i) for i in range(len(dataset))
                if dataset.get_data_info(i)['rgb_path'] == broken)
    with pytest.raises(DataError) as caught:
        LoadModality('rgb', kind='image').transform(dict(info))
    assert f"row {info['row']}, column 'rgb'" in str(caught.value)
    assert broken in str(caught.value)


def test_check_data_lists_all_bad_samples(tmp_path):
    root = str(tmp_path)
    write_cls_folders(root, per_class=2)
    for name in ('0001.png', '0004.png'):
        with open(osp.join(root, 'rgb', name), 'wb') as handle:
            handle.write(b'not an image')
    pipeline = [dict(type='fdkd_mm.LoadModality', name='rgb', kind='image'),
                dict(type='fdkd_mm.PackModalityInputs', modalities=('rgb', ))]
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='fdkd_mm.ManifestDataset', ann_file='manifest.csv', data_root=root,
        modalities=dict(rgb=dict(column='rgb', kind='image')), pipeline=pipeline))))
    (report, ) = check_config_data(cfg, ['train'], progress=False)
    assert report.size == 6
    assert sorted(index for index, _, _ in report.bad) == [1, 4]
    assert all("column 'rgb'" in error for _, _, error in report.bad)


def test_segmentation_labels_resize_flip_and_pack(tmp_path):
    root = str(tmp_path)
    write_seg_folders(root, count=4, size=(24, 32))
    dataset = ManifestDataset(ann_file='manifest.csv', data_root=root, task='seg',
                              modalities=dict(rgb='rgb', depth='depth'),
                              classes='classes.txt', split='train')
    assert dataset.metainfo['classes'] == ('background', 'table', 'chair')
    results = dict(dataset.get_data_info(0))
    for name in ('rgb', 'depth'):
        results = LoadModality(name).transform(results)
    results = LoadLabelMap().transform(results)
    raw = cv2.imread(results['seg_map_path'], cv2.IMREAD_UNCHANGED)
    results = ResizeModalities((16, 12)).transform(results)
    # Nearest resize keeps every label and depth a value of the original.
    assert set(np.unique(results['gt_seg_map'])) <= set(np.unique(raw))
    assert set(np.unique(results["depth"])) <= {np.float32(d) / 1000 for d in DISTANCES_MM}
    np.random.seed(0)
    flipped = RandomFlipModalities(prob=1.0).transform(
        {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in results.items()})
    np.testing.assert_array_equal(flipped['gt_seg_map'], results['gt_seg_map'][:, ::-1])
    np.testing.assert_array_equal(flipped['rgb'], results['rgb'][:, ::-1])
    packed = PackModalityInputs(('rgb', 'depth'), task='seg').transform(results)
    assert packed['inputs']['rgb'].shape == (3, 12, 16)
    gt = packed['data_samples'].gt_sem_seg.data
    assert gt.shape == (1, 12, 16) and gt.dtype == torch.int64
    # Pixel modalities that do not match the label map are refused, naming the row.
    unaligned = dict(results, depth=np.zeros((5, 5), np.float32))
    with pytest.raises(DataError, match=f"row {results['row']}, column 'depth'"):
        PackModalityInputs(('rgb', 'depth'), task='seg').transform(unaligned)
    bad_label = osp.join(root, 'labels', '0000.png')
    cv2.imwrite(bad_label, np.full((24, 32), 7, np.uint8))
    with pytest.raises(DataError, match=r'holds values \[7\] outside the 3 classes'):
        LoadLabelMap().transform(dict(dataset.get_data_info(0)))


def test_segmentation_needs_classes(tmp_path):
    root = str(tmp_path)
    write_seg_folders(root, count=2)
    with pytest.raises(DataError, match='segmentation needs the class names'):
        ManifestDataset(ann_file='manifest.csv', data_root=root, task='seg',
                        modalities=dict(rgb='rgb'))


def test_audio_from_other_containers_through_pyav(tmp_path):
    """A 44.1 kHz stereo wav is decoded, downmixed and resampled by FFmpeg to 8 kHz."""
    rate = 44100
    t = np.arange(rate // 2) / rate
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t) * 32767).astype(np.int16)
    wavfile.write(str(tmp_path / 'a.wav'), rate, np.stack([tone, tone], axis=1))
    _write_csv(str(tmp_path / 'm.csv'), [dict(id='a', audio='a.wav', label='x')])
    dataset = ManifestDataset(ann_file='m.csv', data_root=str(tmp_path),
                              modalities=dict(audio='audio'))
    results = LoadModality('audio', sample_rate=8000, duration=0.5, n_fft=256,
                           hop_length=128).transform(dict(dataset.get_data_info(0)))
    assert abs(int(results['audio'][0].mean(axis=1).argmax()) - 1000 * 256 / 8000) <= 1
