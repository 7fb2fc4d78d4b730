"""Unpaired from two manifests: a depth teacher's samples and an RGB student's are disjoint,
sharing the class names; the teacher trains on its manifest, its bank is built from it, and the
unpaired FD student trains two iterations on the other."""
import csv
import os.path as osp
import runpy
import sys

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from fdkd_mm.errors import DataError
from fdkd_mm.pairing import write_unpaired
from fdkd_mm.testing.manifest_runs import tiny_cfg
from fdkd_mm.testing.synthetic_manifest import write_cls_folders

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _split_manifest(root: str) -> tuple[str, str]:
    """The first half of the rows -> the teacher's manifest (depth), the rest -> the
    student's (rgb); each half has every class in its training rows."""
    with open(osp.join(root, 'manifest.csv'), newline='') as handle:
        rows = list(csv.DictReader(handle))
    paths = []
    half = len(rows) // 2
    for name, part, column in (('teacher', 0, 'depth'), ('student', 1, 'rgb')):
        path = osp.join(root, f'{name}.csv')
        with open(path, 'w', newline='') as handle:
            writer = csv.DictWriter(handle, fieldnames=['id', column, 'label', 'split'])
            writer.writeheader()
            for index, row in enumerate(rows):
                if (index >= half) == part:
                    writer.writerow({key: row[key] for key in ('id', column, 'label', 'split')})
        paths.append(path)
    return tuple(paths)


@pytest.mark.parametrize('method', ['ufd', 'ucmkd-sumall'])
def test_two_manifests_train_teacher_bank_and_student(tmp_path, method):
    root = str(tmp_path / 'data')
    write_cls_folders(root, per_class=8, size=(24, 32))
    teacher_manifest, student_manifest = _split_manifest(root)
    files = write_unpaired(teacher_manifest, student_manifest, 'depth', 'rgb', 'cls',
                           out_dir=str(tmp_path / 'cfg'), size=(32, 32), epochs=1,
                           batch_size=4)
    cfg = Config.fromfile(files.methods[method])
    assert cfg.teacher_dataloader.dataset.ann_file == 'teacher.csv'
    assert cfg.train_dataloader.dataset.ann_file == 'student.csv'
    assert cfg.classes == ('kitchen', 'office', 'street')  # shared by both sides
    assert cfg.model.teacher is None and cfg.teacher_bank.teacher_input == 'depth'
    uni = tiny_cfg(files.uni['depth'], str(tmp_path / 'uni'), distiller=False)
    uni.train_dataloader['batch_size'] = 4
    runner = Runner.from_cfg(uni)
    runner.train()
    ckpt = str(tmp_path / 'uni' / 'epoch_1.pth')
    assert osp.isfile(ckpt)
    cfg = tiny_cfg(files.methods[method], str(tmp_path / 'run'), teacher_ckpt=None)
    cfg.model.pop('teacher_ckpt')
    assert 'init_cfg' not in cfg.teacher_bank['teacher']['backbone']  # no download
    cfg.teacher_bank['teacher_ckpt'] = ckpt
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter >= 2


def test_tool_writes_unpaired_configs(tmp_path, monkeypatch, capsys):
    root = str(tmp_path / 'data')
    write_cls_folders(root, per_class=4, size=(24, 32))
    teacher_manifest, student_manifest = _split_manifest(root)
    out = str(tmp_path / 'cfg')
    monkeypatch.setattr(sys, 'argv', [
        'new_pair.py', teacher_manifest, '--student-manifest', student_manifest,
        '--teacher-modality', 'depth', '--student-modality', 'rgb', '--task', 'cls',
        '--out-dir', out, '--size', '32', '32', '--epochs', '3'])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(osp.join(REPO, 'tools', 'new_pair.py'), run_name='__main__')
    assert done.value.code == 0
    printed = capsys.readouterr().out
    assert f'1. python tools/train.py {out}/uni_depth_student.py' in printed
    assert f'2. python tools/train.py {out}/ufd_depth_to_rgb_student.py' in printed
    assert Config.fromfile(f'{out}/ufd_depth_to_rgb_student.py').teacher_bank.teacher_ckpt \
        == 'work_dirs/uni_depth_student/epoch_3.pth'


def test_manifests_without_a_shared_class_are_refused(tmp_path):
    root = str(tmp_path / 'data')
    write_cls_folders(root, per_class=4, size=(24, 32))
    teacher_manifest, student_manifest = _split_manifest(root)
    with open(student_manifest) as handle:
        text = handle.read()
    for name in ('kitchen', 'office', 'street'):
        text = text.replace(f',{name},', f',{name}_x,')
    with open(student_manifest, 'w') as handle:
        handle.write(text)
    with pytest.raises(DataError, match='share no class'):
        write_unpaired(teacher_manifest, student_manifest, 'depth', 'rgb', 'cls',
                       out_dir=str(tmp_path / 'cfg'), size=(32, 32))


def test_a_sample_in_both_manifests_is_refused_by_the_bank(tmp_path):
    from fdkd_mm.datasets.manifest import ManifestDataset
    from fdkd_mm.teacher_bank.build import _check_disjoint, student_overlap
    root = str(tmp_path / 'data')
    write_cls_folders(root, per_class=4, size=(24, 32))
    teacher_manifest, student_manifest = _split_manifest(root)
    with open(teacher_manifest) as handle:
        shared = handle.read().splitlines()[1].split(',')[0]  # the teacher's first id
    with open(student_manifest, 'a') as handle:
        handle.write(f'{shared},rgb/{shared}.png,kitchen,train\n')
    teacher = ManifestDataset(ann_file='teacher.csv', data_root=root, modalities=['depth'])
    student = ManifestDataset(ann_file='student.csv', data_root=root, modalities=['rgb'])
    overlap = student_overlap({}, teacher, student)
    assert overlap['samples'] == 1
    with pytest.raises(ValueError, match='shares 1 samples'):
        _check_disjoint(overlap, dict(require_disjoint=True))
