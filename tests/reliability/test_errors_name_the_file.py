"""Faults name the thing at fault: clip and frame, checkpoint path, .mat file and field.

Each case states what the same fault gave before (the protection removed, asserted where it
is one call): an OpenCV assertion without a file, an ``OSError`` without a name, a converter
error without the file or frame.
"""
import errno
import importlib.util
from pathlib import Path

import cv2
import h5py
import mmcv
import numpy as np
import pytest
import scipy.io
from mmengine.config import Config
from mmengine.fileio import LocalBackend
from mmengine.registry import init_default_scope

from fdkd_mm.datasets.bad_samples import BadSampleError
from fdkd_mm.datasets.transforms.frames import FrameDecodeError
from fdkd_mm.engine.hooks import AtomicCheckpointHook  # noqa: F401  (registers it)
from fdkd_mm.testing import write_synthetic_cremad
from fdkd_mm.checkpoint.safe_loading import CorruptCheckpointError
from reliability_utils import REPO
from toy_checkpointing import checkpoint_loads, toy_runner


# ---------------------------------------------------------------------------- frame decoding
@pytest.fixture
def cremad(tmp_path) -> tuple:
    """A synthetic CREMA-D whose first test clip has a corrupt (non-image) frame."""
    root = tmp_path / 'cremad'
    splits = write_synthetic_cremad(str(root), clips_per_class=(1, 1), frames_per_clip=1)
    clip = splits['test'][0][0]
    frame = next((root / 'Image-01-FPS' / clip).iterdir())
    frame.write_bytes(b'\xff\xd8 this is not a JPEG')
    return root, clip, frame


def cremad_visual_dataset(root: Path):
    from fdkd_mm.registry import DATASETS
    init_default_scope('fdkd_mm')
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/cremad_visual.py'))
    return DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(root)))


def test_corrupt_frame_names_clip_and_file(cremad):
    root, clip, frame = cremad
    # The dataset reports the unusable sample (BadSampleError, skip_bad_samples=False) with the
    # decoder's own message, which names the clip and the frame file.
    with pytest.raises(BadSampleError, match=f'clip {clip}: frame {frame} cannot be decoded'):
        cremad_visual_dataset(root)[0]


def test_before_mmcv_failed_inside_cvtcolor_without_a_path(cremad):
    """What LoadFrames did: mmcv's RGB decoding asserts in OpenCV, naming no file."""
    _, clip, frame = cremad
    with pytest.raises(cv2.error, match='_src.empty()') as error:
        mmcv.imfrombytes(frame.read_bytes(), channel_order='rgb')
    assert str(frame) not in str(error.value) and clip not in str(error.value)


def test_missing_frame_file_names_the_clip(cremad, tmp_path):
    from fdkd_mm.datasets.transforms.frames import LoadFrames
    gone = tmp_path / 'gone.jpg'
    with pytest.raises(FrameDecodeError, match=f'clip c1: cannot read frame {gone}'):
        LoadFrames()(dict(clip_id='c1', frame_paths=[str(gone)]))


# -------------------------------------------------------------------------------- full disk
def writes_to_dev_full(monkeypatch, on_name: str) -> None:
    """Make the file backend write ``on_name``'s bytes to /dev/full: a real ENOSPC."""
    original = LocalBackend.put

    def put(self, obj, filepath):
        if Path(str(filepath)).name.startswith(on_name):
            Path(str(filepath)).write_bytes(obj[:10])  # the partial file a full disk leaves
            with open('/dev/full', 'wb') as full:
                full.write(obj)
                full.flush()
        return original(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', put)


@pytest.mark.skipif(not Path('/dev/full').exists(), reason='needs /dev/full (Linux)')
def test_full_disk_names_the_checkpoint_and_leaves_no_partial_file(tmp_path, monkeypatch):
    writes_to_dev_full(monkeypatch, 'iter_3.pth')
    with pytest.raises(OSError, match=f'cannot write checkpoint {tmp_path / "iter_3.pth"}: '
                                      'No space left on device') as error:
        toy_runner(tmp_path, dict(type='AtomicCheckpointHook'), max_iters=4).train()
    assert error.value.errno == errno.ENOSPC
    assert not list(tmp_path.glob('*.tmp')) and not (tmp_path / 'iter_3.pth').exists()
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_2.pth')
    assert checkpoint_loads(tmp_path / 'iter_2.pth')


@pytest.mark.skipif(not Path('/dev/full').exists(), reason='needs /dev/full (Linux)')
def test_before_the_full_disk_error_named_no_file(tmp_path, monkeypatch):
    """MMEngine's own hook: the same fault, an OSError without the checkpoint's name."""
    writes_to_dev_full(monkeypatch, 'iter_3.pth')
    with pytest.raises(OSError) as error:
        toy_runner(tmp_path, dict(type='CheckpointHook'), max_iters=4).train()
    assert 'iter_3' not in str(error.value)


# --------------------------------------------------------------------- truncated checkpoint
def test_resuming_a_truncated_checkpoint_names_it(tmp_path):
    toy_runner(tmp_path / 'a', dict(type='AtomicCheckpointHook'), max_iters=2).train()
    truncated = tmp_path / 'a' / 'iter_2.pth'
    truncated.write_bytes(truncated.read_bytes()[:1000])
    runner = toy_runner(tmp_path / 'b', dict(type='AtomicCheckpointHook'), max_iters=3)
    with pytest.raises(CorruptCheckpointError, match=f'checkpoint {truncated} cannot be read'):
        runner.resume(str(truncated))


# ----------------------------------------------------------------------------- NYU converter
def load_converter():
    spec = importlib.util.spec_from_file_location(
        'nyu_converter', REPO / 'tools' / 'dataset_converters' / 'nyu_depth_v2.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


converter = load_converter()


def official_files(root: Path, raw_label: int = 3, images_dtype=np.uint8) -> list:
    """Tiny official-format files: 3 frames of 4x5, raw labels ``raw_label``."""
    root.mkdir(parents=True, exist_ok=True)
    labeled = root / 'nyu_depth_v2_labeled.mat'
    with h5py.File(labeled, 'w', userblock_size=512) as f:
        f['images'] = np.full((3, 3, 5, 4), 100, images_dtype)
        f['depths'] = np.full((3, 5, 4), 2.0, np.float32)
        f['labels'] = np.full((3, 5, 4), raw_label, np.uint16)
    scipy.io.savemat(root / 'splits.mat',
                     dict(trainNdxs=np.array([[1.0], [3.0]]), testNdxs=np.array([[2.0]])))
    scipy.io.savemat(root / 'classMapping40.mat', dict(mapClass=np.ones((1, 894))))
    return [str(labeled), str(root / 'splits.mat'), str(root / 'classMapping40.mat')]


def convert_error(paths: list, out: Path, capsys) -> str:
    assert converter.main([*paths, str(out), '--no-progress']) == 1
    return capsys.readouterr().err


@pytest.mark.parametrize('damage, expected', [
    ('garbage', 'is not a readable MATLAB 5 file: Unknown mat file type'),
    ('truncated', 'is not a readable MATLAB 5 file')])
def test_unreadable_splits_mat_is_named(tmp_path, capsys, damage, expected):
    paths = official_files(tmp_path)
    splits = Path(paths[1])
    splits.write_bytes(b'garbage' * 40 if damage == 'garbage' else splits.read_bytes()[:60])
    assert f'error: {splits} {expected}' in convert_error(paths, tmp_path / 'out', capsys)


def test_non_numeric_mapping_names_file_and_variable(tmp_path, capsys):
    paths = official_files(tmp_path)
    scipy.io.savemat(paths[2], dict(mapClass=np.array(['a', 'b'], dtype=object)))
    assert f"{paths[2]}: variable 'mapClass' must be numeric" in \
        convert_error(paths, tmp_path / 'out', capsys)


def test_raw_label_beyond_the_classes_names_file_frame_and_field(tmp_path, capsys):
    paths = official_files(tmp_path, raw_label=900)
    assert (f'{paths[0]}, frame 1: field "labels": raw label 900 is beyond the 894 classes'
            in convert_error(paths, tmp_path / 'out', capsys))


def test_images_of_the_wrong_dtype_name_file_and_field(tmp_path, capsys):
    paths = official_files(tmp_path, images_dtype=np.float32)
    assert f"{paths[0]}: dataset 'images' has dtype float32" in \
        convert_error(paths, tmp_path / 'out', capsys)


def test_failed_image_write_names_the_file(tmp_path, capsys, monkeypatch):
    """cv2.imwrite reports a failed write (full disk) by returning False, not raising."""
    paths = official_files(tmp_path)
    monkeypatch.setattr(converter.cv2, 'imwrite', lambda path, array: False)
    out = tmp_path / 'out'
    assert f'cannot write {out / "train" / "rgb" / "0001.png"}' in \
        convert_error(paths, out, capsys)
