"""reproduce.py on any dataset and budget: seeds and results add up across calls, the paper
column only on the paper's data, the teacher checked and cached once, a plan that tells the
truth quickly."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from fdkd_mm.reproduction import cli
from fdkd_mm.reproduction.accumulate import collect_root
from fdkd_mm.reproduction.data_status import data_status, is_paper_data
from fdkd_mm.reproduction.runner import Launcher, execute, plan_runs
from fdkd_mm.reproduction.teachers import StudentPreparation, teacher_warnings
from fdkd_mm.testing import write_synthetic_cremad

REPO = Path(__file__).resolve().parents[2]
KD = 'kd_r18-audio_r18-visual_cremad'
TEACHER = 'uni_r18-audio_cremad'
ALONE = 'uni_r18-visual_cremad'


def finish(root: Path, basename: str, seed: int, top1: float, paper_data: bool = True) -> Path:
    """A finished run on disk, as the runner leaves it."""
    work = root / basename / f'seed{seed}'
    work.mkdir(parents=True)
    (work / 'train_done').write_text('ok\n')
    (work / 'test_metrics.json').write_text(json.dumps({'accuracy/top1': top1}))
    (work / 'run.json').write_text(json.dumps(dict(seed=seed, paper_data=paper_data)))
    checkpoint = work / 'epoch_2.pth'
    checkpoint.write_bytes(b'')
    (work / 'last_checkpoint').write_text(str(checkpoint))
    return work


def test_a_later_seed_reuses_the_seed0_teacher(tmp_path):
    runs = plan_runs(2, ['cremad'], ['kd'], [1], str(tmp_path), students=['visual'])
    teacher, student = runs
    assert (teacher.name, student.name) == (f'{TEACHER} (seed 0)', f'{KD} (seed 1)')
    assert student.teacher is teacher
    other = plan_runs(2, ['cremad'], ['kd'], [0, 1], str(tmp_path), students=['visual'],
                      teacher_seed=3)
    assert [r.name for r in other] == [f'{TEACHER} (seed 3)', f'{KD} (seed 0)', f'{KD} (seed 1)']


def test_results_accumulate_across_calls(tmp_path, capsys):
    finish(tmp_path, TEACHER, 0, 40.0)
    finish(tmp_path, KD, 0, 30.0)   # a first call: --seeds 0
    finish(tmp_path, KD, 1, 34.0)   # a later call: --seeds 1
    finish(tmp_path, ALONE, 0, 20.0)  # another call: --methods uni
    (tmp_path / KD / 'seed2').mkdir()  # started, never finished: not a result
    rows = {r.name: r for r in collect_root(str(tmp_path), table=2)}
    assert set(rows) == {TEACHER, KD, ALONE}
    assert (rows[KD].seeds, rows[KD].values) == ([0, 1], {'accuracy/top1': [30.0, 34.0]})
    assert rows[KD].mean() == 32.0 and rows[KD].paper == 62.6  # Table 2, KD, visual
    code = cli.main(['--table', '2', '--dataset', 'cremad', '--collect',
                     '--work-root', str(tmp_path)])
    assert code == 0
    table = (tmp_path / 'results.md').read_text()
    assert f'| {KD} | kd | cremad | audio→visual | 0, 1 | 32.00 ± 2.83 | 62.6 | -30.60 |' \
        in table
    assert 'wrote ' in capsys.readouterr().out


def test_the_paper_column_only_on_the_papers_data(tmp_path):
    assert is_paper_data('cremad', None) and is_paper_data('cremad', 'data/CREMA-D')
    assert is_paper_data('cremad', str(REPO / 'data' / 'CREMA-D'))
    assert not is_paper_data('cremad', str(tmp_path))
    finish(tmp_path, KD, 0, 30.0, paper_data=False)
    finish(tmp_path, KD, 1, 34.0, paper_data=True)
    (row,) = collect_root(str(tmp_path), table=2)
    assert row.paper is None  # one seed read other data: no comparison for the row
    assert cli.main(['--collect', '--work-root', str(tmp_path)]) == 0
    header = (tmp_path / 'results.md').read_text().splitlines()[0]
    assert 'paper' not in header and 'Δ' not in header
    (tmp_path / KD / 'seed0' / 'run.json').write_text(json.dumps(dict(paper_data=True)))
    assert collect_root(str(tmp_path), table=2)[0].paper == 62.6
    assert collect_root(str(tmp_path), table=2, paper=False)[0].paper is None  # --no-paper


def test_weak_teachers_are_named_before_their_students():
    # 6 classes: chance 16.67 %; near chance below 21.67.
    (near,) = teacher_warnings('accuracy/top1', 18.0, 6, [])
    assert 'near chance' in near and '16.67' in near
    (below,) = teacher_warnings('accuracy/top1', 40.0, 6, [45.0, 55.0])
    assert 'below the student trained alone (50.00 over 2 seed(s))' in below
    assert teacher_warnings('accuracy/top1', 60.0, 6, [50.0]) == []
    assert teacher_warnings('accuracy/top1', 22.0, 6, []) == []
    assert teacher_warnings('mIoU', 3.0, 40, []) == []  # no chance level for mIoU


class RecordingLauncher(Launcher):
    """Runs nothing: each command line is recorded; training leaves a checkpoint, testing a
    metric (the teacher's: near chance), caching a manifest."""

    def __init__(self, teacher_top1: float):
        super().__init__()
        self.commands = []
        self.teacher_top1 = teacher_top1

    def _script(self, kind, config, args):
        self.commands.append((kind, os.path.basename(config), list(args)))
        if kind == 'train':
            work = Path(args[args.index('--work-dir') + 1])
            work.mkdir(parents=True, exist_ok=True)
            (work / 'epoch_1.pth').write_bytes(b'')
            (work / 'last_checkpoint').write_text(str(work / 'epoch_1.pth'))
        elif kind == 'test':
            top1 = self.teacher_top1 if 'uni_' in config else 50.0
            Path(args[args.index('--out') + 1]).write_text(json.dumps({'accuracy/top1': top1}))
        else:
            store = Path(args[args.index('--out') + 1]) / 'train'
            store.mkdir(parents=True)
            (store / 'manifest.json').write_text('{}')
        return [sys.executable, '-c', 'pass']

    def train(self, config, args, job):
        return self._script('train', config, args)

    def test(self, config, checkpoint, args, job):
        return self._script('test', config, args)

    def cache_teacher(self, config, args, job):
        return self._script('cache', config, args)


def test_the_teacher_is_reported_and_cached_once_for_every_cacheable_method(tmp_path):
    runs = plan_runs(2, ['cremad'], ['kd', 'fdkd', 'dml'], [0, 1], str(tmp_path),
                     students=['visual'])
    launcher, lines = RecordingLauncher(teacher_top1=18.0), []
    argv = ['--data-root', str(tmp_path / 'data'), '--epochs', '2']
    prepare = StudentPreparation(str(tmp_path), launcher, argv, lambda run: [],
                                 teacher_cache=True, log=lines.append)
    outcomes = execute(runs, launcher, lambda run: [], log=lines.append, run_argv=argv,
                       prepare=prepare, run_info=lambda run: dict(seed=run.seed))
    assert all(o.status == 'done' for o in outcomes)
    caches = [c for c in launcher.commands if c[0] == 'cache']
    assert len(caches) == 1 and '--recorders' in caches[0][2] and 'all' in caches[0][2]
    cache_root = str(tmp_path / TEACHER / 'seed0' / 'teacher_cache')
    trains = {(name, args[args.index('--work-dir') + 1].rsplit('seed', 1)[-1]): args
              for kind, name, args in launcher.commands if kind == 'train'}
    for method in ('kd', 'fdkd'):
        for seed in '01':
            args = trains[(f'{method}_r18-audio_r18-visual_cremad.py', seed)]
            assert f'model.teacher_cache.path={cache_root}' in args
            assert args[args.index('--data-root') + 1] == str(tmp_path / 'data')
    dml = trains[('dml_r18-audio_r18-visual_cremad.py', '0')]  # its teacher trains: live
    assert not any('teacher_cache' in a for a in dml)
    # The teacher's metric and the warning come once, before the first student trains.
    first_student = next(i for i, line in enumerate(lines) if line.startswith('[2/7]'))
    report = [i for i, line in enumerate(lines) if line.startswith('teacher ')
              and 'test accuracy/top1 = 18.00 (chance 16.67)' in line]
    warnings = [i for i, line in enumerate(lines) if 'near chance' in line]
    assert len(report) == 1 and len(warnings) == 1 and report[0] < first_student
    assert json.loads((tmp_path / KD / 'seed1' / 'run.json').read_text()) == {'seed': 1}


def test_plan_header_data_status_and_check_exit_code(tmp_path, capsys):
    data = tmp_path / 'cremad'
    write_synthetic_cremad(str(data), clips_per_class=(1, 1))
    common = ['--table', '2', '--dataset', 'cremad', '--students', 'visual', '--methods', 'uni',
              'kd', '--work-root', str(tmp_path / 'work')]
    assert cli.main([*common, '--check', '--data-root', str(tmp_path / 'nothing')]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ('plan: table 2, 2 cell(s), 3 run(s) (0 done, 3 to run; '
                                   '1 teacher-only), seeds 0 (teacher seed 0)')
    assert f'data {tmp_path / "nothing"} MISSING' in out
    assert 'teacher uni_r18-audio_cremad (seed 0): trained by run 2' in out
    assert 'WARNING: 1 seed(s) per cell' in out and 'ERROR: 3 run(s)' in out
    assert cli.main([*common, '--check', '--data-root', str(data), '--seeds', '0', '1',
                     '2']) == 0
    out = capsys.readouterr().out
    assert 'WARNING' not in out and out.count(f'data {data} ok') == 7
    (data / 'test.csv').unlink()
    assert data_status('cremad', str(data)).missing == ['test.csv']
    # Without a plan-time check, the run would start and fail inside the first training.
    assert cli.main([*common, '--data-root', str(data)]) == 1
    assert 'nothing started' in capsys.readouterr().out
    assert not (tmp_path / 'work').exists()


def test_the_dry_run_answers_without_importing_the_stack(tmp_path):
    command = [sys.executable, 'tools/reproduce.py', '--table', '2', '--dry-run',
               '--work-root', str(tmp_path)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith('plan: table 2, 96 cell(s), 96 run(s)')
    assert len(lines) >= 97  # the header, the work root, one line per run
    print(f'\nplan of table 2 (96 runs): {seconds:.1f} s')  # reported, not asserted
    probe = subprocess.run([sys.executable, '-c', (
        'import runpy, sys; sys.argv = ["reproduce", "--table", "2", "--dry-run", '
        f'"--work-root", {str(tmp_path)!r}]\n'
        'try:\n    runpy.run_path("tools/reproduce.py", run_name="__main__")\n'
        'except SystemExit:\n    pass\n'
        'print("torch imported:", "torch" in sys.modules)')],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert 'torch imported: False' in probe.stdout, probe.stderr[-2000:]


def test_the_documented_small_run_command_plans_teacher_and_4_methods_x_3_seeds(tmp_path):
    """docs/small_runs.md's first command, on a folder in the CREMA-D layout."""
    text = (REPO / 'docs' / 'small_runs.md').read_text()
    block = text.split('## Teacher + 4 methods')[1].split('```')[1]
    first = block.strip().split('\npython ')[0].replace('\\\n', ' ')
    argv = first.split()[2:]  # after 'python tools/reproduce.py'
    data = tmp_path / 'my_cremad'
    write_synthetic_cremad(str(data), clips_per_class=(1, 1))
    argv = [str(data) if a == '~/my_cremad' else a for a in argv]
    result = subprocess.run([sys.executable, 'tools/reproduce.py', *argv, '--work-root',
                             str(tmp_path / 'work')], cwd=REPO, capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert '--check' in argv and result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith('plan: table 2, 5 cell(s), 16 run(s)')
    assert sum('-> teacher only' in line for line in lines) == 1
    for method in ('uni', 'kd', 'feat', 'dkd', 'fdkd'):
        assert sum(f'T2 {method}/cremad/visual' in line for line in lines) == 3


def test_the_student_alone_beside_each_tables_distiller_exists(tmp_path):
    """The teacher report compares with the student-alone runs: their config for a distiller
    of every table (paper, unpaired, zoo, AV-MNIST / RAVDESS, MM) is a real config."""
    from fdkd_mm.reproduction.teachers import alone_config
    repo = Path(__file__).resolve().parents[2]
    expected = {
        (2, 'cremad', 'visual'): 'configs/uni/uni_r18-visual_cremad.py',
        ('unpaired', 'ravdess', 'audio'): 'configs/unpaired/uni-partb_r18-audio_ravdess.py',
        ('zoo', 'crisismmd', 'text'): 'configs/uni/uni_bert-text_crisismmd.py',
        ('avmnist', 'avmnist', 'image'): 'configs/uni/uni_r18-image_avmnist.py',
        ('ravdess', 'ravdess', 'visual'): 'configs/uni/uni_r18-visual_ravdess.py',
        ('mm', 'nyu', 'depth'): 'configs/uni/uni_dlv3p-r18-depth_nyu.py',
        ('mm', 'avmnist', 'audio'): 'configs/uni/uni_r18-audio_avmnist.py',
    }
    for (table, dataset, student), path in expected.items():
        methods = ['rkd'] if table == 'zoo' else ['kd'] if table != 'unpaired' else ['ukd']
        runs = plan_runs(table, [dataset], methods, [0], str(tmp_path), students=[student])
        distiller, = [run for run in runs if run.is_distiller]
        assert f'configs/{alone_config(distiller)}.py'.split('/')[-1] == path.split('/')[-1]
        assert (repo / path).is_file(), path
