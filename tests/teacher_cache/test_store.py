"""The on-disk store: rows by dataset index, atomic completion, refusals of unusable values."""
import json
import os

import numpy as np
import pytest

from fdkd_mm.teacher_cache.manifest import FORMAT, VERSION, TeacherCacheError
from fdkd_mm.teacher_cache.store import TeacherCacheReader, TeacherCacheWriter


def manifest(length: int, names) -> dict:
    return dict(format=FORMAT, version=VERSION, dataset=dict(length=length),
                recorders={name: {} for name in names})


def write_store(path, rows: dict, length: int, dtype='fp32', order=None, parameters=None):
    with TeacherCacheWriter(str(path), length, dtype) as writer:
        for name, values in rows.items():
            indices = np.arange(length) if order is None else np.asarray(order)
            writer.write_rows(name, indices, values[indices])
        for name, value in (parameters or {}).items():
            writer.write_parameter(name, value)
        return writer.finish(manifest(length, [*rows, *(parameters or {})]))


def test_rows_come_back_by_dataset_index_in_any_order(tmp_path):
    values = np.random.default_rng(0).standard_normal((5, 3, 2, 2)).astype(np.float32)
    store = write_store(tmp_path / 'train', dict(feat=values), 5, order=[4, 0, 2, 1, 3])
    reader = TeacherCacheReader(store)
    np.testing.assert_array_equal(reader.rows('feat', [3, 3, 0]), values[[3, 3, 0]])
    entry = json.loads((tmp_path / 'train' / 'manifest.json').read_text())['recorders']['feat']
    assert entry == dict(kind='feature', shape=[3, 2, 2], file='feat.npy')
    # A real .npy, readable without fdkd_mm.
    np.testing.assert_array_equal(np.load(tmp_path / 'train' / 'feat.npy'), values)


def test_fp16_rows_are_the_rounded_values(tmp_path):
    values = np.linspace(-3, 3, 20, dtype=np.float32).reshape(4, 5) / 7
    reader = TeacherCacheReader(write_store(tmp_path / 's', dict(logits=values), 4, 'fp16'))
    got = reader.rows('logits', np.arange(4))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, values.astype(np.float16).astype(np.float32))
    assert np.abs(got - values).max() > 0


def test_parameters_are_stored_once_in_float32(tmp_path):
    weight = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    store = write_store(tmp_path / 's', dict(feat=np.ones((2, 3), np.float32)), 2, 'fp16',
                        parameters=dict(bn_weight=weight))
    reader = TeacherCacheReader(store)
    np.testing.assert_array_equal(reader.parameter('bn_weight'), weight)
    assert reader.recorder('bn_weight')['kind'] == 'parameter'


def test_the_store_appears_only_when_complete(tmp_path):
    with pytest.raises(RuntimeError, match='interrupted'):
        with TeacherCacheWriter(str(tmp_path / 'train'), 3) as writer:
            writer.write_rows('feat', np.arange(2), np.ones((2, 4), np.float32))
            assert any(name.startswith('.train.tmp-') for name in os.listdir(tmp_path))
            raise RuntimeError('interrupted')
    assert os.listdir(tmp_path) == []  # neither the store nor its temporary directory


def test_an_existing_store_is_replaced_only_on_request(tmp_path):
    write_store(tmp_path / 's', dict(feat=np.zeros((2, 1), np.float32)), 2)
    with pytest.raises(FileExistsError, match='--overwrite'):
        TeacherCacheWriter(str(tmp_path / 's'), 2)
    with TeacherCacheWriter(str(tmp_path / 's'), 2, overwrite=True) as writer:
        writer.write_rows('feat', np.arange(2), np.full((2, 1), 7, np.float32))
        writer.finish(manifest(2, ['feat']))
    np.testing.assert_array_equal(TeacherCacheReader(str(tmp_path / 's')).rows('feat', [1]),
                                  [[7]])
    assert sorted(os.listdir(tmp_path)) == ['s']


def test_unwritten_and_outside_rows_are_refused(tmp_path):
    store = write_store(tmp_path / 's', dict(feat=np.ones((4, 2), np.float32)), 4,
                        order=[0, 1, 3])  # sample 2 skipped (a bad sample)
    reader = TeacherCacheReader(store)
    assert json.loads((tmp_path / 's' / 'manifest.json').read_text())['num_written'] == 3
    with pytest.raises(TeacherCacheError, match=r'samples \[2\] have no cached'):
        reader.rows('feat', [0, 2])
    with pytest.raises(TeacherCacheError, match=r'\[4\] are outside .* \(4 samples\)'):
        reader.rows('feat', [4])
    with pytest.raises(TeacherCacheError, match="holds no tensor 'logits'"):
        reader.rows('logits', [0])


@pytest.mark.parametrize('values, dtype, match', [
    (np.array([[1.0, np.nan]], np.float32), 'fp32', r'samples \[0\] is not finite'),
    (np.array([[7e4, 1.0]], np.float32), 'fp16', 'exceed float16'),
])
def test_values_a_cache_cannot_hold_are_refused(tmp_path, values, dtype, match):
    with pytest.raises(TeacherCacheError, match=match):
        with TeacherCacheWriter(str(tmp_path / 's'), 1, dtype) as writer:
            writer.write_rows('feat', np.arange(1), values)
    assert os.listdir(tmp_path) == []


def test_one_shape_per_recorder(tmp_path):
    with pytest.raises(TeacherCacheError, match=r'shape \(3,\), earlier samples \(2,\)'):
        with TeacherCacheWriter(str(tmp_path / 's'), 2) as writer:
            writer.write_rows('feat', np.arange(1), np.ones((1, 2), np.float32))
            writer.write_rows('feat', np.arange(1, 2), np.ones((1, 3), np.float32))


def test_a_directory_without_a_manifest_is_no_cache(tmp_path):
    (tmp_path / 'train').mkdir()
    with pytest.raises(FileNotFoundError, match='tools/cache_teacher.py'):
        TeacherCacheReader(str(tmp_path / 'train'))
    (tmp_path / 'train' / 'manifest.json').write_text(json.dumps(dict(format=FORMAT,
                                                                      version=VERSION + 1)))
    with pytest.raises(TeacherCacheError, match='version'):
        TeacherCacheReader(str(tmp_path / 'train'))


def test_a_cache_of_the_first_format_is_refused_with_the_fix(tmp_path):
    """Version 1 kept the recorder specs and transforms outside the teacher's record."""
    (tmp_path / 'train').mkdir()
    path = tmp_path / 'train' / 'manifest.json'
    path.write_text(json.dumps(dict(format=FORMAT, version=1, pipeline=[],
                                    recorders=dict(feat=dict(spec=dict(path='f'))))))
    with pytest.raises(TeacherCacheError, match=rf'^{path}: cache format version 1, this '
                                                r'fdkd_mm reads version 2; rebuild the cache'):
        TeacherCacheReader(str(tmp_path / 'train'))
