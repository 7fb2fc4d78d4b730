"""collect_results: every metric of MMEngine work dirs, rows named by path, seeds aggregated,
the paper's number beside ours; Markdown, CSV and a PNG chart."""
import csv
import importlib.util
import json
import os.path as osp
import statistics

import cv2
import pytest

from fdkd_mm.reproduction import paper_tables

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KD_NYU = 'kd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu'  # a Table 3 cell: KD, RGB student
FD_CREMAD = 'fdkd_r18-audio_r18-visual_cremad'  # a Table 2 cell: FD-CMKD, visual student


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, 'tools', 'analysis',
                                                                 f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_config(work_dir, name: str, seed: int, loss: str = 'KDLoss') -> None:
    """The config MMEngine's Runner dumps into the work dir (only what the tool reads)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / f'{name}.py').write_text(
        f"model = dict(type='CrossModalDistiller', student_input='rgb', teacher_input='depth',\n"
        f"             distill_losses=dict(loss=dict(type='{loss}')))\n"
        "val_dataloader = dict(dataset=dict(type='fdkd_mm.NYUDepthV2Dataset'))\n"
        f"randomness = dict(seed={seed})\nwork_dir = '{work_dir}'\n")


def write_scalars(run_dir, lines):
    (run_dir / 'vis_data').mkdir(parents=True)
    (run_dir / 'vis_data' / 'scalars.json').write_text(
        '\n'.join(json.dumps(line) for line in lines) + '\n')


@pytest.fixture
def runs(tmp_path):
    """Two seeds of a paper cell, two baselines sharing a basename, a log-only run."""
    root = tmp_path / 'work_dirs'
    for seed, (last, best) in enumerate([(33.0, 35.0), (34.0, 34.5)]):
        run = root / 'kd' / KD_NYU / f'seed{seed}'
        write_config(run, KD_NYU, seed)
        write_scalars(run / '20250101_000000', [
            dict(lr=0.01, loss=3.2, epoch=1, iter=5, step=5),
            dict(aAcc=60.0 + seed, mIoU=best, mAcc=40.0, step=25),
            dict(aAcc=61.0 + seed, mIoU=last, mAcc=41.0, step=50)])
    for method, loss, miou in (('dkd', 'DKDLoss', 35.25), ('feat', 'FitNetLoss', 32.5)):
        run = root / 'baselines' / method / 'nyu_depth_to_rgb'
        write_config(run, 'nyu_depth_to_rgb', 0, loss)
        write_scalars(run / '20250102_000000', [dict(aAcc=62.0, mIoU=miou, mAcc=42.0, step=50)])
    cls = root / 'fdkd' / FD_CREMAD
    cls.mkdir(parents=True)
    (cls / f'{FD_CREMAD}.py').write_text('randomness = dict(seed=3)\n')
    (cls / '20250103_000000').mkdir()
    (cls / '20250103_000000' / '20250103_000000.log').write_text(
        '2025/01/03 - mmengine - INFO - Epoch(val) [5][3/12]    eta: 0:00:01  time: 0.3\n'
        '2025/01/03 - mmengine - INFO - Epoch(val) [5][12/12]    accuracy/top1: 72.5000  '
        'data_time: 0.0026  time: 0.3704\n'
        '2025/01/03 - mmengine - INFO - Epoch(val) [10][12/12]    accuracy/top1: 70.2500  '
        'data_time: 0.0026  time: 0.3704\n')
    return root


def table_rows(markdown: str, heading: str) -> dict:
    """``{first cell: [cells]}`` of the table under ``heading``."""
    block = markdown.split(heading, 1)[1].split('\n\n')[1]
    rows = [[c.strip() for c in line.strip('|').split('|')] for line in block.splitlines()]
    return {row[0]: row for row in rows[2:]}, rows[0]


def test_rows_named_by_path_every_metric_and_seeds_aggregated(runs, tmp_path):
    dirs = [runs / 'kd' / KD_NYU / 'seed0', runs / 'kd' / KD_NYU / 'seed1',
            runs / 'baselines' / 'dkd' / 'nyu_depth_to_rgb',
            runs / 'baselines' / 'feat' / 'nyu_depth_to_rgb', runs / 'fdkd' / FD_CREMAD]
    out = tmp_path / 'report' / 'results'
    report = load_tool('collect_results').main([*map(str, dirs), '--out', str(out)])

    rows, header = table_rows(report, '## Runs')
    assert header[:5] == ['run', 'method', 'dataset', 'teacher→student', 'seed']
    assert header[5:] == ['mIoU last (best@step)', 'accuracy/top1 last (best@step)',
                          'aAcc last (best@step)', 'mAcc last (best@step)']
    # The two baselines of the same basename are two rows, named by their relative paths.
    assert rows['baselines/dkd/nyu_depth_to_rgb'][5] == '35.25 (35.25@50)'
    assert rows['baselines/feat/nyu_depth_to_rgb'][5] == '32.50 (32.50@50)'
    assert rows[f'kd/{KD_NYU}/seed0'][1:5] == ['kd', 'nyu', 'depth→rgb', '0']
    assert rows[f'kd/{KD_NYU}/seed0'][5:] == ['33.00 (35.00@25)', '', '61.00 (61.00@50)',
                                              '41.00 (41.00@50)']
    assert rows[f'fdkd/{FD_CREMAD}'][1:7] == ['fdkd', 'cremad', 'audio→visual', '3', '',
                                              '70.25 (72.50@5)']

    groups, header = table_rows(report, '## Seeds aggregated')
    assert header[-2:] == ['paper', 'Δ']
    kd = groups[f'kd/{KD_NYU}']
    mean, std = statistics.fmean([33.0, 34.0]), statistics.stdev([33.0, 34.0])
    reported = next(c.reported for c in paper_tables.cells(3, 'nyu', ['kd'])
                    if c.student == 'rgb')
    assert reported == 32.8
    assert kd[4] == '0, 1' and kd[5] == f'{mean:.2f} ± {std:.2f}'  # 33.50 ± 0.71
    assert kd[-2:] == ['32.8', f'{mean - 32.8:+.2f}']
    assert groups[f'fdkd/{FD_CREMAD}'][-2:] == ['71.0', f'{70.25 - 71.0:+.2f}']
    # Not cells of the paper (old names): no number beside; still one experiment each.
    assert groups['baselines/dkd/nyu_depth_to_rgb'][-2:] == ['', '']
    assert 'baselines/feat/nyu_depth_to_rgb' in groups

    assert (tmp_path / 'report' / 'results.md').read_text() == report
    with open(f'{out}.csv') as f:
        per_run = list(csv.DictReader(f))
    assert len(per_run) == 2 * 3 + 2 * 3 + 1  # runs x metrics
    miou = next(r for r in per_run if r['run'] == f'kd/{KD_NYU}/seed1' and r['metric'] == 'mIoU')
    assert (float(miou['last']), float(miou['best']), miou['best_step']) == (34.0, 34.5, '25')
    with open(f'{out}_seeds.csv') as f:
        seeds = list(csv.DictReader(f))
    kd_miou = next(r for r in seeds if r['experiment'] == f'kd/{KD_NYU}'
                   and r['metric'] == 'mIoU')
    assert float(kd_miou['mean']) == pytest.approx(mean)
    assert float(kd_miou['std']) == pytest.approx(std)
    assert float(kd_miou['paper']) == 32.8
    assert float(kd_miou['delta']) == pytest.approx(mean - 32.8)
    chart = cv2.imread(f'{out}.png')
    assert chart is not None and chart.shape[1] > chart.shape[0]  # two panels side by side


def test_lower_is_better_and_unknown_dirs(runs, tmp_path, capsys):
    run = runs / 'loss_run'
    write_scalars(run / '20250101_000000', [dict(val_loss=2.0, step=1),
                                            dict(val_loss=1.5, step=2),
                                            dict(val_loss=1.75, step=3)])
    report = load_tool('collect_results').main([str(run), str(tmp_path / 'empty'),
                                                '--lower-is-better', 'val_loss'])
    rows, _ = table_rows(report, '## Runs')
    assert rows['loss_run'][5] == '1.75 (1.50@2)'
    assert 'no validation results in' in capsys.readouterr().err
    with pytest.raises(SystemExit, match='none of the work dirs'):
        load_tool('collect_results').main([str(tmp_path / 'empty')])


def test_config_names_of_the_scheme_are_parsed_without_a_paper_cell():
    from fdkd_mm.reproduction.results import parse_config_name
    assert parse_config_name('fdkd_dlv3p-r18-depth_pspnet-r18-rgb_nyu.py') == dict(
        method='fdkd', teacher='depth', student='rgb', dataset='nyu')
    assert parse_config_name('uni_r18-audio_cremad.py') == dict(
        method='uni', teacher=None, student='audio', dataset='cremad')
    assert parse_config_name('nyu_depth_to_rgb.py') is None
    assert parse_config_name('kd_r18-audio_r18-rgb_cremad.py') is None  # not a CREMA-D modality
