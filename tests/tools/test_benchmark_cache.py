"""tools/analysis/benchmark_cache.py on shrunk networks: every variant timed, ratios consistent,
the epoch runs complete. No timing assertions: the numbers depend on the machine's load."""
import argparse
import importlib.util
import statistics
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'configs'))
from tiny_runs import tiny_config  # noqa: E402

FD = 'configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py'
UNI = 'configs/uni/uni_r18-visual_cremad.py'


def load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_cache', REPO / 'tools' /
                                                  'analysis' / 'benchmark_cache.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    return load_tool()


def args(tool, **changes) -> argparse.Namespace:
    namespace = tool.parse_args([])
    namespace.__dict__.update(dict(batch_size=2, warmup=0, repeats=2, epoch_clips=6,
                                   epoch_batch=2, epoch_workers=0, epoch_rounds=1), **changes)
    return namespace


def tiny(config: str, tmp_path) -> object:
    # The data root is replaced by the benchmark's own synthetic data.
    return tiny_config(config, dict(CremaDDataset=str(tmp_path)), '', tmp_path / 'w')


def test_steps_of_every_variant_and_their_ratios(tool, tmp_path):
    row = tool.bench_config(tiny(FD, tmp_path), args(tool))
    assert set(row['times']) == set(tool.VARIANTS)
    for name in tool.VARIANTS:
        assert len(row['samples_s'][name]) == 2 and row['times'][name]['median_s'] > 0
    samples = row['samples_s']
    medians = {name: statistics.median(values) for name, values in samples.items()}
    assert row['ratios']['of_medians']['f/a'] == pytest.approx(
        medians['f_cached'] / medians['a_student'])
    assert row['ratios']['of_minima']['f/c'] == pytest.approx(
        min(samples['f_cached']) / min(samples['c_live']))
    assert row['cache_build_s'] > 0
    clean = tool.clean_rounds(samples)
    assert row['ratios']['clean_rounds'] == len(clean)
    # Rounds with every variant within 25 % of its fastest, by hand on made-up times:
    assert tool.clean_rounds(dict(a=[1.0, 1.2, 3.0], f=[2.0, 2.6, 2.0])) == [0]
    assert 'f/a' in tool.markdown(dict(device='cpu', threads=1, torch='x', warmup=1, repeats=2,
                                       steps=[row]))


def test_one_epoch_of_each_run(tool, tmp_path):
    epoch = tool.bench_epoch(args(tool), dict(live=tiny(FD, tmp_path),
                                              student=tiny(UNI, tmp_path)))
    assert set(epoch['runs']) == {'student', 'live', 'cached'}
    for runs in epoch['runs'].values():
        assert len(runs) == 1 and runs[0]['epoch_s'] > runs[0]['data_s'] >= 0
    medians = epoch['median_epoch_s']
    assert epoch['ratios']['cached/live'] == pytest.approx(medians['cached'] / medians['live'])
    assert epoch['min_epoch_s']['live'] == min(r['epoch_s'] for r in epoch['runs']['live'])
