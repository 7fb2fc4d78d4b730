"""tools/dataset_converters/crisismmd.py: unpack the split archives, count, find bad images."""
import shutil
import zipfile

import pytest

from converter_checks import load_converter
from fdkd_mm.testing.synthetic_crisismmd import write_synthetic_crisismmd

checker = load_converter('crisismmd')


@pytest.fixture
def download(tmp_path):
    """A CrisisMMD_v2.0 folder with images, and the 'all' split archive beside it."""
    root = tmp_path / 'CrisisMMD_v2.0'
    write_synthetic_crisismmd(str(root), samples_per_split=dict(train=6, dev=2, test=3))
    archive = tmp_path / 'crisismmd_datasplit_all.zip'
    with zipfile.ZipFile(archive, 'w') as zipped:
        for path in sorted((root / 'crisismmd_datasplit_all').iterdir()):
            zipped.write(path, f'crisismmd_datasplit_all/{path.name}')
        zipped.writestr('__MACOSX/._junk', 'x')
    shutil.rmtree(root / 'crisismmd_datasplit_all')
    return root, archive


def test_unpacks_the_splits_and_counts_pairs_per_split_and_class(download, capsys):
    root, archive = download
    assert checker.main([str(root), '--splits-zip', str(archive), '--no-progress']) == 0
    printed = capsys.readouterr().out
    assert "unpacked ['crisismmd_datasplit_all']" in printed
    assert not (root / '__MACOSX').exists()
    assert 'all/informative/train: 6 pairs in 2 classes' in printed
    tsv = root / 'crisismmd_datasplit_all' / 'task_informative_text_img_train.tsv'
    lines = tsv.read_text().splitlines()
    labels = [line.split('\t')[lines[0].split('\t').index('label')] for line in lines[1:]]
    for name in ('informative', 'not_informative'):
        assert f'  {name:<15}  {labels.count(name):6d}' in printed
    assert 0 < labels.count('informative') < 6
    assert 'all/informative/test: 3 pairs in 2 classes' in printed
    assert 'not present: crisismmd_datasplit_agreed_label/' in printed
    assert 'CrisisMMD: layout OK' in printed
    assert checker.main([str(root), '--splits-zip', str(archive), '--no-progress']) == 0
    assert 'unpacked nothing new' in capsys.readouterr().out


def test_bad_images_are_listed_and_fail_the_check(download, capsys):
    root, archive = download
    images = sorted((root / 'data_image').rglob('*.jpg'))
    images[0].write_bytes(images[0].read_bytes()[:20])
    images[1].unlink()
    assert checker.main([str(root), '--splits-zip', str(archive), '--no-progress',
                         '--workers', '2']) == 1
    printed = capsys.readouterr().out
    assert f'{images[0]}: cannot be decoded' in printed
    assert f'{images[1]}: missing (image)' in printed
    assert 'CrisisMMD: 2 problem(s)' in printed


def test_wrong_folder_and_missing_default_splits_are_explained(download, capsys):
    root, _ = download
    assert checker.main([str(root.parent), '--no-progress']) == 1
    assert 'use that folder as DATA_ROOT' in capsys.readouterr().err
    assert checker.main([str(root), '--no-progress']) == 1  # archive not unpacked
    assert "the configs' default split files are missing" in capsys.readouterr().err
