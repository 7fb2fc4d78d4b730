"""The CMKD benchmark's other methods as a table of ours: cells, configs, the runner's plan."""
import sys
from pathlib import Path

import pytest

from fdkd_mm.reproduction.runner import Launcher, plan_runs, run_options
from fdkd_mm.reproduction.teachers import StudentPreparation
from fdkd_mm.reproduction.zoo_tables import METHODS, ZOO_CELLS, zoo_cells

REPO = Path(__file__).resolve().parents[2]


def test_every_method_every_dataset_both_directions_has_its_config():
    assert len(ZOO_CELLS) == len(METHODS) * 10
    for cell in ZOO_CELLS:
        assert (REPO / cell.config).is_file(), cell.config
        if cell.method == 'mgdfr':  # co-trains its teacher: no Uni teacher, one stage first
            assert cell.teacher_config is None
            assert cell.stages == (cell.config.replace('/mgdfr_', '/mgdfr-cotrain_'), )
            assert (REPO / cell.stages[0]).is_file()
        else:
            assert (REPO / cell.teacher_config).is_file(), cell.teacher_config
            assert cell.stages == ()
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


class StepLauncher(Launcher):
    """Records the tool commands instead of running them; writes what each would write."""

    def __init__(self):
        super().__init__()
        self.commands = []

    def tool(self, script, args, job):
        self.commands.append((script, list(args)))
        out = args[1] if script.endswith('export_student.py') else args[2]
        return [sys.executable, '-c', f'open({out!r}, "wb").close()']


def test_mgdfr_chains_cotraining_step_two_and_kd_per_seed(tmp_path):
    runs = plan_runs('zoo', ['nyu'], ['mgdfr'], [0, 1], str(tmp_path), students=['rgb'])
    cell = 'dlv3p-r18-depth_dlv3p-r18-rgb_nyu'
    assert [run.name for run in runs] == [f'{stage}_{cell} (seed {seed})'
                                          for stage in ('mgdfr-cotrain', 'mgdfr')
                                          for seed in (0, 1)]
    cotrain, kd = runs[1], runs[3]  # seed 1
    assert kd.teacher is cotrain and cotrain.teacher is None
    Path(cotrain.work_dir).mkdir(parents=True)
    checkpoint = Path(cotrain.work_dir) / 'epoch_100.pth'
    (Path(cotrain.work_dir) / 'last_checkpoint').write_text(str(checkpoint))
    # The KD run's own options do not name a teacher: the preparation gives both files.
    assert run_options(kd, []) == ['randomness.seed=1']
    launcher, lines = StepLauncher(), []
    prepare = StudentPreparation(str(tmp_path), launcher, ['--data-root', 'd'],
                                 lambda run: ['x=1'], log=lines.append)
    options = prepare.mgdfr_files(kd)
    teacher, salience = (Path(cotrain.work_dir) / name for name in ('teacher.pth', 'salience.pth'))
    assert options == [f'model.teacher_ckpt={teacher}',
                       f'model.distill_losses.loss_mgdfr.salience_file={salience}']
    assert launcher.commands == [
        ('tools/export_student.py', [str(checkpoint), str(teacher), '--config', cotrain.config,
                                     '--prefix', 'teacher.']),
        ('tools/mgdfr_salience.py', [cotrain.config, str(checkpoint), str(salience),
                                     '--data-root', 'd', '--cfg-options', 'randomness.seed=1',
                                     'x=1'])]
    assert teacher.is_file() and salience.is_file()
    assert prepare.mgdfr_files(kd) == options and len(launcher.commands) == 2  # once
