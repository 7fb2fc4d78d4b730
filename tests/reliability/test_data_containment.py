"""Paths built from split-file rows stay under their data root.

Before: a CREMA-D row ``../../outside/secret,ANG`` was joined onto the root unchecked and read
from outside it, and ``tools/check_data.py`` reported "0 bad".
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fdkd_mm.datasets.safe_paths import ALLOW_OUTSIDE_ENV, resolve_inside
from fdkd_mm.errors import DataError
from fdkd_mm.testing import write_synthetic_cremad, write_synthetic_crisismmd, write_synthetic_nyu

REPO = Path(__file__).resolve().parents[2]
CREMAD_CONFIG = 'configs/uni/uni_r18-audio_cremad.py'


@pytest.fixture(autouse=True)
def contained(monkeypatch):
    monkeypatch.delenv(ALLOW_OUTSIDE_ENV, raising=False)


def test_resolve_inside_refuses_escapes(tmp_path):
    root = tmp_path / 'root'
    (root / 'a').mkdir(parents=True)
    outside = tmp_path / 'outside'
    outside.mkdir()
    assert resolve_inside(str(root), 'a/x.wav') == str(root / 'a' / 'x.wav')
    assert resolve_inside(str(root), 'a/../a/x.wav') == str(root / 'a/../a/x.wav')
    with pytest.raises(DataError, match=r"path '../outside/x' in f.csv line 7 leaves the data "
                                        r'root'):
        resolve_inside(str(root), '../outside/x', source='f.csv', line=7)
    with pytest.raises(DataError, match=r"absolute path '/etc/passwd' in f.csv line 2"):
        resolve_inside(str(root), '/etc/passwd', source='f.csv', line=2)
    (root / 'link').symlink_to(outside)
    with pytest.raises(DataError, match='leaves the data root'):
        resolve_inside(str(root), 'link/x')
    # The documented switch lets a tree built from symlinks into other disks through.
    assert resolve_inside(str(root), 'link/x', allow_outside=True) == str(root / 'link' / 'x')


def cremad_with_row(tmp_path: Path, row: str) -> Path:
    root = tmp_path / 'cremad'
    write_synthetic_cremad(str(root))
    secret = tmp_path / 'outside' / 'secret'
    secret.mkdir(parents=True)
    (tmp_path / 'outside' / 'secret.wav').write_bytes(b'RIFF')
    with open(root / 'train.csv', 'a') as f:
        f.write(row + '\n')
    return root


def test_cremad_row_outside_the_root_is_refused_naming_file_and_line(tmp_path, monkeypatch):
    from fdkd_mm.datasets import CremaDDataset
    root = cremad_with_row(tmp_path, '../../outside/secret,ANG')
    lines = (root / 'train.csv').read_text().splitlines()
    kwargs = dict(ann_file='train.csv', data_root=str(root),
                  data_prefix=dict(audio='AudioWAV', visual='Image-01-FPS'))
    with pytest.raises(DataError, match=rf"path '../../outside/secret.wav' in .*train.csv line "
                                        rf'{len(lines)} leaves the data root'):
        CremaDDataset(**kwargs)
    monkeypatch.setenv(ALLOW_OUTSIDE_ENV, '1')
    assert len(CremaDDataset(**kwargs)) == len(lines)


def test_nyu_sample_id_outside_the_root_is_refused(tmp_path):
    from fdkd_mm.datasets import NYUDepthV2Dataset
    root = write_synthetic_nyu(tmp_path / 'nyu', num_train=2, num_test=1, height=16, width=20,
                               num_classes=3)
    with open(root / 'train.txt', 'a') as f:
        f.write('../../../../etc/passwd\n')
    with open(root / 'scenes.txt', 'a') as f:
        f.write('../../../../etc/passwd kitchen_0001\n')
    with pytest.raises(DataError, match=r'train.txt line 3 leaves the data root'):
        NYUDepthV2Dataset(data_root=str(root), split='train', pipeline=[])


def test_crisismmd_absolute_image_path_is_refused(tmp_path):
    from fdkd_mm.datasets import CrisisMMDDataset
    root = tmp_path / 'crisis'
    tsv = Path(write_synthetic_crisismmd(str(root))['train'])
    lines = tsv.read_text().split('\n')
    header = lines[0].split('\t')
    fields = lines[1].split('\t')
    fields[header.index('image')] = '/etc/passwd'
    lines[1] = '\t'.join(fields)
    tsv.write_text('\n'.join(lines))
    with pytest.raises(DataError, match=r"absolute path '/etc/passwd' in .*train.tsv line 2"):
        CrisisMMDDataset(data_root=str(root), split='train', pipeline=[])


def test_empty_split_file_names_the_file(tmp_path):
    from fdkd_mm.datasets import CremaDDataset
    root = tmp_path / 'cremad'
    write_synthetic_cremad(str(root))
    (root / 'train.csv').write_text('')
    with pytest.raises(DataError, match=r'split file .*train.csv lists no clip'):
        CremaDDataset(ann_file='train.csv', data_root=str(root),
                      data_prefix=dict(audio='AudioWAV', visual='Image-01-FPS'))


def test_check_data_reports_the_escaping_row(tmp_path):
    root = cremad_with_row(tmp_path, '../../outside/secret,ANG')
    options = [f'{split}_dataloader.dataset.data_root={root}' for split in ('train', 'val', 'test')]
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    env.pop(ALLOW_OUTSIDE_ENV, None)
    result = subprocess.run([sys.executable, 'tools/check_data.py', CREMAD_CONFIG, '--splits',
                             'train', '--no-progress', '--cfg-options', *options], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'train: the dataset cannot be built: DataError' in result.stdout
    assert "'../../outside/secret.wav' in" in result.stdout
    assert 'leaves the data root' in result.stdout
