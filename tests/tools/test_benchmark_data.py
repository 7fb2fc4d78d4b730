"""tools/analysis/benchmark_data.py: every stage of the pipeline timed, the workers arithmetic.

No timing assertions beyond positivity: the numbers depend on the machine and its load.
"""
import importlib.util
import json
from pathlib import Path

from fdkd_mm.datasets.throughput import workers_needed

REPO = Path(__file__).resolve().parents[2]


def load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_data', REPO / 'tools' / 'analysis' /
                                                  'benchmark_data.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_workers_cover_the_step_rate():
    assert workers_needed(100.0, 5, 64) == 4  # 320 samples/s from 100 per worker
    assert workers_needed(64.0, 1, 64) == 1
    assert workers_needed(63.9, 1, 64) == 2
    assert workers_needed(1e6, 1, 64) == 1


def test_the_report_times_every_stage_of_the_real_pipeline(tmp_path):
    out = tmp_path / 'bench.json'
    report = load_tool().main(['configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py',
                               '--synthetic', '6', '--samples', '4', '--warmup', '1',
                               '--step-rates', '1', '8', '--out', str(out)])
    assert json.loads(out.read_text()) == report
    assert [stage['name'] for stage in report['stages']] == [
        'get_data_info', 'LoadWaveform', 'LogSpectrogram', 'SampleFrames', 'LoadFrames',
        'FramesRandomResizedCrop', 'FramesRandomFlip', 'PackAudioVisualInputs']
    assert all(stage['mean_ms'] > 0 for stage in report['stages'])
    total_ms = sum(stage['mean_ms'] for stage in report['stages'])
    # One worker's throughput is the inverse of the per-sample time of all stages.
    assert abs(1e3 / total_ms - report['samples_per_s_per_worker']) < \
        0.05 * report['samples_per_s_per_worker']
    assert report['slowest_stage'] == max(report['stages'], key=lambda s: s['mean_ms'])['name']
    assert report['batch_size'] == 64 and report['synthetic']
    rate = report['samples_per_s_per_worker']
    assert report['workers'] == [dict(steps_per_s=1, workers=workers_needed(rate, 1, 64)),
                                 dict(steps_per_s=8, workers=workers_needed(rate, 8, 64))]
