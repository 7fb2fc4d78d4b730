"""Spectrogram pickles (AVE's ``Audio-1004-SE/<vid>.pkl``) are read without running code.

The official files are Python pickles of float32 (257, 1004) numpy arrays; they load. A pickle
naming anything else is refused by the loader of the pipeline and by the file checks, with the
file named and nothing of it run. Checked against the protection removed: with ``pickle.load``
back in ``LoadSpectrogram`` / ``audio_file_problems``, the payload tests create their marker.
"""
import os.path as osp
import pickle

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from fdkd_mm.checkpoint.array_pickle import UnsafePickleError, load_array_pickle
from fdkd_mm.datasets.audio_visual.file_checks import audio_file_problems
from fdkd_mm.datasets.transforms import LoadSpectrogram
from fdkd_mm.registry import DATASETS
from fdkd_mm.testing import write_synthetic_ave
from payloads import payload_pickle

SPEC = np.random.default_rng(0).standard_normal((257, 1004)).astype(np.float32)


def numpy1_names(data: bytes, protocol: int) -> bytes:
    """The pickle as numpy 1 writes it: ``numpy.core.multiarray`` for ``numpy._core...``."""
    new, old = b'numpy.core.multiarray', b'numpy._core.multiarray'
    if protocol >= 4:  # SHORT_BINUNICODE: a length byte before the name
        new, old = bytes([len(new)]) + new, bytes([len(old)]) + old
    assert old in data
    return data.replace(old, new)


@pytest.mark.parametrize('protocol', [2, 4])
@pytest.mark.parametrize('numpy1', [False, True], ids=['numpy2', 'numpy1'])
def test_array_pickles_of_the_official_format_load(tmp_path, protocol, numpy1):
    data = pickle.dumps(SPEC, protocol=protocol)
    path = tmp_path / 'vid.pkl'
    path.write_bytes(numpy1_names(data, protocol) if numpy1 else data)
    loaded = load_array_pickle(path)
    assert loaded.dtype == np.float32 and loaded.shape == (257, 1004)
    np.testing.assert_array_equal(loaded, SPEC)
    spec = LoadSpectrogram(num_frames=1024)(dict(audio_path=str(path)))['audio']
    assert tuple(spec.shape) == (1, 257, 1024)
    assert audio_file_problems(str(path), spectrogram_shape=(257, 1004)) == []


def test_plain_data_around_arrays_loads():
    data = dict(spec=SPEC[:2, :3], scale=np.float32(0.5), shape=(2, 3), tags={'a'}, raw=b'\x00')
    for protocol in (0, 2, 4, 5):
        loaded = load_array_pickle(pickle.dumps(data, protocol=protocol))
        np.testing.assert_array_equal(loaded.pop('spec'), SPEC[:2, :3])
        assert loaded == dict(scale=0.5, shape=(2, 3), tags={'a'}, raw=b'\x00')


def test_the_pipeline_refuses_a_pickle_carrying_code(tmp_path):
    marker, path = tmp_path / 'marker', tmp_path / 'evil.pkl'
    payload_pickle(path, marker)
    with pytest.raises(UnsafePickleError, match=f'refused to read {path}: the pickle names '
                                                'posix.system'):
        LoadSpectrogram()(dict(audio_path=str(path)))
    assert not marker.exists()


def test_the_file_checks_report_a_pickle_carrying_code(tmp_path):
    marker, path = tmp_path / 'marker', tmp_path / 'evil.pkl'
    payload_pickle(path, marker)
    [problem] = audio_file_problems(str(path))
    assert problem.startswith(f'{path}: unsafe pickle, not read (refused to read {path}: the '
                              'pickle names posix.system')
    assert not marker.exists()


@pytest.mark.parametrize('encoding', ['rot13', 'zlib'])
def test_only_latin1_bytes_are_decoded(encoding):
    """Protocol 2 writes bytes as ``_codecs.encode(text, 'latin1')``; no other codec."""
    import codecs

    class OtherCodec:
        def __reduce__(self):
            return codecs.encode, ('x' if encoding == 'rot13' else b'x', encoding)

    with pytest.raises(UnsafePickleError, match=f"codecs.encode with '{encoding}'"):
        load_array_pickle(pickle.dumps(OtherCodec(), protocol=2), 'other.pkl')


def test_the_dataset_takes_a_clips_npy_before_its_pkl(tmp_path):
    """Converted trees (.npy) and the official one (.pkl) load with the same config; with
    both, the .npy wins unless the config names a suffix."""
    rows = write_synthetic_ave(str(tmp_path), num_classes=2, clips_per_class=(1, 1, 1),
                               audio_format='npy')
    vid = rows['train'][0][0]
    payload_pickle(tmp_path / 'Audio-1004-SE' / f'{vid}.pkl', tmp_path / 'marker')
    init_default_scope('fdkd_mm')
    common = dict(type='AVEDataset', data_root=str(tmp_path), ann_file='trainSet.txt',
                  pipeline=[dict(type='LoadSpectrogram')])
    dataset = DATASETS.build(common)
    assert osp.basename(dataset.get_data_info(0)['audio_path']) == f'{vid}.npy'
    assert dataset[0]['audio'].shape[:2] == (1, 257)  # the clip's .npy, read
    named = DATASETS.build(dict(common, audio_suffix='.pkl', missing_files='drop'))
    assert len(named) == 1 and osp.basename(named.get_data_info(0)['audio_path']) == \
        f'{vid}.pkl'
    with pytest.raises(Exception, match='posix.system'):
        named[0]
    assert not (tmp_path / 'marker').exists()
