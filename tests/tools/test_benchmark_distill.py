"""Smoke test of tools/analysis/benchmark_distill.py: tiny settings, every key, positive times.

No timing assertions: the numbers depend on the machine and its load.
"""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VARIANTS = ('a_student', 'b_student_teacher', 'c_fd', 'd_feat', 'e_loss_ours', 'e_loss_unfused',
            'e_loss_naive')


def test_benchmark_writes_a_complete_report(tmp_path):
    out = tmp_path / 'bench.json'
    result = subprocess.run(
        [sys.executable, 'tools/analysis/benchmark_distill.py',
         'configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py',
         '--batch-size', '2', '--crop', '32', '40', '--warmup', '1', '--repeats', '2',
         '--threads', '1', '--sweep-dims', '64', '128', '--sweep-hw', '8x10',
         '--sweep-repeats', '1', '--out', str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(out.read_text())
    for key in ('config', 'batch_size', 'crop', 'device', 'threads', 'repeats', 'times',
                'samples_s', 'ratios', 'ratios_min', 'ratios_paired', 'memory', 'sweep',
                'feature_shape', 'loss_check'):
        assert key in report, key
    for name in VARIANTS:
        assert report['times'][name]['median_s'] > 0
        assert len(report['samples_s'][name]) == 2
    ratio_names = {'c/b', 'c/a', 'd/b', 'e_ours/e_naive', 'e_ours/e_unfused'}
    for kind in ('ratios', 'ratios_min', 'ratios_paired'):
        assert set(report[kind]) == ratio_names
        assert all(value > 0 for value in report[kind].values())
    for name in VARIANTS[:3]:
        assert report['memory'][name]['peak_bytes'] > 0
        assert 'method' in report['memory'][name]
    assert [(row['D'], row['H'], row['W']) for row in report['sweep']] == [
        (64, 30, 40), (128, 30, 40), (128, 8, 10)]
    assert all(row[f'{name}_s'] > 0 for row in report['sweep']
               for name in ('ours', 'unfused', 'naive'))
    # All formulations compute the same loss.
    check = report['loss_check']
    assert abs(check['ours'] - check['naive']) < 1e-4
    assert abs(check['ours'] - check['unfused']) < 1e-4
    assert '| c_fd |' in result.stdout and '| c/b |' in result.stdout
