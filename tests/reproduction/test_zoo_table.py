"""The CMKD benchmark's other methods as a table of ours: cells, configs, the runner's plan."""
from pathlib import Path

import pytest

from fdkd_mm.reproduction.runner import plan_runs, run_options
from fdkd_mm.reproduction.zoo_tables import METHODS, ZOO_CELLS, zoo_cells

REPO = Path(__file__).resolve().parents[2]


def test_every_method_every_dataset_both_directions_has_its_config():
    assert len(ZOO_CELLS) == len(METHODS) * 10
    for cell in ZOO_CELLS:
        assert (REPO / cell.config).is_file(), cell.config
        assert (REPO / cell.teacher_config).is_file(), cell.teacher_config
        assert cell.reported is None and cell.teacher != cell.student
    assert [c.config for c in zoo_cells('nyu', ['crd'])] == [
        'configs/crd/crd_dlv3p-r18-rgb_dlv3p-r18-depth_nyu.py',
        'configs/crd/crd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py']


def test_the_plan_trains_the_uni_teacher_first(tmp_path):
    runs = plan_runs('zoo', ['cremad'], ['rkd', 'crd'], [0], str(tmp_path),
                     students=['visual'])
    assert [run.name for run in runs] == ['uni_r18-audio_cremad (seed 0)',
                                          'rkd_r18-audio_r18-visual_cremad (seed 0)',
                                          'crd_r18-audio_r18-visual_cremad (seed 0)']
    teacher_dir = Path(runs[0].work_dir)
    teacher_dir.mkdir(parents=True)
    (teacher_dir / 'last_checkpoint').write_text(str(teacher_dir / 'epoch_100.pth'))
    assert f'model.teacher_ckpt={teacher_dir / "epoch_100.pth"}' in run_options(runs[2], [])
    with pytest.raises(ValueError, match=r"no cell of table zoo .* methods: \['crd'"):
        plan_runs('zoo', ['cremad'], ['kd'], [0], str(tmp_path))
