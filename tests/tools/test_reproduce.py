"""tools/reproduce.py: a table end to end on synthetic CREMA-D, resumed after a kill."""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fdkd_mm.reproduction.runner import Launcher, cell_results, execute, plan_runs
from fdkd_mm.reproduction.tables import summary_markdown
from fdkd_mm.testing import write_synthetic_cremad

REPO = Path(__file__).resolve().parents[2]


def reproduce_cmd(work_root: Path, data_root: str) -> list[str]:
    """Two seeds of KD and FD-CMKD with the teacher cache, on a small run given by flags: the
    same flags reach the Uni teacher, the distillers and the cache."""
    return [sys.executable, 'tools/reproduce.py', '--table', '2', '--dataset', 'cremad',
            '--methods', 'kd', 'fdkd', '--students', 'visual', '--seeds', '0', '1',
            '--work-root', str(work_root), '--data-root', data_root, '--batch-size', '4',
            '--workers', '0', '--epochs', '2', '--threads', '1',
            '--pipeline-options', 'frame_size=32', '--teacher-cache',
            # A checkpoint after every epoch: the kill below waits for the first one.
            '--cfg-options', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=1',
            'default_hooks.logger.interval=1', 'env_cfg.cudnn_benchmark=False']


def env() -> dict:
    return dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
                PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                         os.environ.get('PYTHONPATH')])))


def test_table_reproduced_end_to_end_and_resumed_after_a_kill(tmp_path):
    data = tmp_path / 'cremad'
    write_synthetic_cremad(str(data))  # 12 train / 6 test clips
    work = tmp_path / 'reproduce'
    command = reproduce_cmd(work, str(data))

    # Kill the whole run while the teacher is between its two epochs.
    process = subprocess.Popen(command, cwd=REPO, env=env(), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    teacher = work / 'uni_r18-audio_cremad' / 'seed0'
    deadline = time.time() + 300
    while not (teacher / 'epoch_1.pth').exists():
        assert process.poll() is None, 'reproduce ended before the teacher checkpointed'
        assert time.time() < deadline
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (teacher / 'train_done').exists()

    result = subprocess.run(command, cwd=REPO, env=env(), capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # The killed teacher resumed from its first epoch instead of starting over.
    assert 'resumed epoch: 1' in (teacher / 'train.log').read_text()
    rows = list(csv.DictReader((work / 'results.csv').open()))
    # Every finished run of the work root, the teacher's included; no paper's number on data
    # that is not the paper's.
    assert {(r['table'], r['method'], r['student'], r['seeds'], r['paper']) for r in rows} == {
        ('2', 'uni', 'audio', '0', ''), ('2', 'kd', 'visual', '0 1', ''),
        ('2', 'fdkd', 'visual', '0 1', '')}
    rows = [r for r in rows if r['method'] != 'uni']
    for row in rows:
        values = [float(v) for v in row['values'].split()]
        # Each seed's value is the test top-1 of its own run's last-epoch checkpoint.
        runs = work / f'{row["method"]}_r18-audio_r18-visual_cremad'
        expected = [json.loads((runs / f'seed{seed}' / 'test_metrics.json').read_text())[
            'accuracy/top1'] for seed in (0, 1)]
        assert values == pytest.approx(expected, abs=1e-4)
        assert float(row['mean']) == pytest.approx(sum(expected) / 2, abs=0.006)
        assert float(row['mean']) == pytest.approx(sum(values) / 2)
        # The students read the teacher's cache, built once under the teacher's work dir.
        train_log = (runs / 'seed1' / 'train.log').read_text()
        assert 'no longer loads' in train_log
    assert (teacher / 'teacher_cache' / 'train' / 'manifest.json').is_file()
    assert (work / 'results.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    table = (work / 'results.md').read_text()
    assert '| fdkd_r18-audio_r18-visual_cremad | fdkd | cremad | audio→visual | 0, 1 |' in table
    assert 'paper' not in table.splitlines()[0]

    again = subprocess.run(command, cwd=REPO, env=env(), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0
    assert again.stdout.count('done earlier, skipped') == 5  # 1 teacher + 2 methods x 2 seeds


class FailingTeacher(Launcher):
    """Every command exits 0 without doing anything, except the teacher's training."""

    def train(self, config, args, job):
        code = 3 if 'uni_' in config else 0
        return [sys.executable, '-c', f'import sys; sys.exit({code})']

    def test(self, config, checkpoint, args, job):
        return [sys.executable, '-c', 'pass']


def test_a_failed_run_is_reported_and_its_students_skipped(tmp_path):
    runs = plan_runs(2, ['cremad'], ['kd'], [0], str(tmp_path), students=['visual'])
    lines = []
    outcomes = execute(runs, FailingTeacher(), lambda run: [], log=lines.append)
    assert [(o.run.name, o.status) for o in outcomes] == [
        ('uni_r18-audio_cremad (seed 0)', 'failed'),
        ('kd_r18-audio_r18-visual_cremad (seed 0)', 'skipped')]
    assert 'train exited 3' in outcomes[0].message
    assert any('FAILED (exit 3)' in line for line in lines)
    (result,) = cell_results(runs, outcomes)
    assert result.values == {'accuracy/top1': []} and 'skipped' in result.status
    assert ('| kd_r18-audio_r18-visual_cremad | kd | cremad | audio→visual | 0 |  | 62.6 |  | '
            'seed 0: skipped') in summary_markdown([result])


def test_plan_trains_each_teacher_once_before_its_students(tmp_path):
    runs = plan_runs(3, None, ['uni', 'fdkd'], [0, 1], str(tmp_path))
    names = [run.name for run in runs]
    # Uni rows of both modalities and seeds; the seed-0 Uni runs double as the teachers.
    assert names[:4] == ['uni_dlv3p-r18-depth_nyu (seed 0)', 'uni_dlv3p-r18-depth_nyu (seed 1)',
                         'uni_dlv3p-r18-rgb_nyu (seed 0)', 'uni_dlv3p-r18-rgb_nyu (seed 1)']
    students = runs[4:]
    assert len(students) == 4 and all(run.teacher in runs[:4] for run in students)
    assert {run.teacher.seed for run in students} == {0}
    with pytest.raises(ValueError, match="no cell of table 3 .* methods \\['ofd'\\]"):
        plan_runs(3, None, ['ofd'], [0], str(tmp_path))
