"""tools/check_data.py decodes every sample of every split before training.

Without it a bad file of the test split surfaces at the first validation (after epoch 5 with
the shipped schedules); ``skip_bad_samples=True`` would even replace it silently. Here it is
found up front, named, counted, and the exit status says so.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from fdkd_mm.testing import write_synthetic_cremad
from reliability_utils import FD_CONFIG, REPO, subprocess_env


def check_data(config: str, *options: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, 'tools/check_data.py', config, '--no-progress']
    if options:
        cmd += ['--cfg-options', *options]
    return subprocess.run(cmd, cwd=REPO, env=subprocess_env(), capture_output=True, text=True,
                          timeout=300)


def nyu_roots(root: Path) -> list:
    return [f'{split}_dataloader.dataset.data_root={root}' for split in ('train', 'val', 'test')]


def test_clean_data_passes_with_a_summary(nyu_data):
    result = check_data(FD_CONFIG, *nyu_roots(nyu_data))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[-4:] == [
        'train: 8 samples, 0 bad', 'val: 2 samples, 0 bad',
        'test: the same dataset as val (checked once)', 'all samples decoded']


def test_bad_test_file_and_skipped_train_file_are_reported(nyu_data, tmp_path):
    root = tmp_path / 'nyu'
    shutil.copytree(nyu_data, root)
    bad_test = root / 'test' / 'rgb' / '0009.png'
    bad_test.write_bytes(bad_test.read_bytes()[:200])
    bad_train = root / 'train' / 'depth' / '0002.png'
    cv2.imwrite(str(bad_train), np.full((64, 80), 7, np.uint8))  # depth must be uint16
    result = check_data(FD_CONFIG, *nyu_roots(root),
                        'train_dataloader.dataset.skip_bad_samples=True')
    assert result.returncode == 1
    out = result.stdout
    assert 'train: 8 samples, 1 bad' in out and f'{bad_train}: dtype uint8' in out
    assert 'val: 2 samples, 1 bad' in out and f'{bad_test}: cannot be decoded' in out
    assert out.splitlines()[-1] == '2 problem(s): fix or remove the samples above before training'


def test_missing_split_file_is_reported_and_the_rest_checked(nyu_data, tmp_path):
    root = tmp_path / 'nyu'
    shutil.copytree(nyu_data, root)
    (root / 'test.txt').unlink()
    result = check_data(FD_CONFIG, *nyu_roots(root))
    assert result.returncode == 1
    assert 'train: 8 samples, 0 bad' in result.stdout
    assert 'val: the dataset cannot be built: ' in result.stdout and 'test.txt' in result.stdout


def test_corrupt_cremad_frame_names_clip_and_frame(tmp_path):
    root = tmp_path / 'cremad'
    splits = write_synthetic_cremad(str(root), clips_per_class=(1, 1), frames_per_clip=1)
    clip = splits['test'][2][0]
    frame = next((root / 'Image-01-FPS' / clip).iterdir())
    frame.write_bytes(b'')
    config = tmp_path / 'cremad_visual.py'
    config.write_text(f"_base_ = ['{REPO}/configs/_base_/datasets/cremad_visual.py']\n"
                      "default_scope = 'fdkd_mm'\n"
                      "custom_imports = dict(imports=['fdkd_mm'])\n")
    result = check_data(str(config), *[f'{split}_dataloader.dataset.data_root={root}'
                                       for split in ('train', 'val', 'test')])
    assert result.returncode == 1
    assert 'train: 6 samples, 0 bad' in result.stdout
    assert 'sample 2' in result.stdout
    assert f'clip {clip}: frame {frame} cannot be decoded' in result.stdout
