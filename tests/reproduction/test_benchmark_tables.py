"""AV-MNIST, RAVDESS and the multimodal-teacher setting as tables: cells, configs, the plan,
the data check and the collected rows."""
import json
from pathlib import Path

import pytest

from fdkd_mm.reproduction.accumulate import collect_root
from fdkd_mm.reproduction.benchmark_tables import (BENCHMARK_CELLS, METHODS, PUBLISHED,
                                                   ZOO_METHODS, benchmark_cells,
                                                   find_benchmark_cells)
from fdkd_mm.reproduction.cli import build_parser, main
from fdkd_mm.reproduction.data_status import data_status
from fdkd_mm.reproduction.paper_tables import CELLS
from fdkd_mm.reproduction.runner import RunOutcome, cell_results, plan_runs, run_options

REPO = Path(__file__).resolve().parents[2]


def configs_on_disk(pattern: str, folder: str = '*') -> set:
    """Config paths under configs/<folder>/ named like ``pattern`` (bases excluded)."""
    return {str(p.relative_to(REPO)) for p in REPO.glob(f'configs/{folder}/{pattern}')
            if '_base_' not in p.parts}


@pytest.mark.parametrize('table,dataset,student_modalities', [
    ('avmnist', 'avmnist', ('audio', 'image')), ('ravdess', 'ravdess', ('audio', 'visual'))])
def test_unimodal_tables_are_every_config_of_their_dataset(table, dataset, student_modalities):
    cells = benchmark_cells(table)
    # Table 2's 12 rows and RKD, MLLD, CRD, OFA in both directions: every one-teacher
    # m2 -> m1 config of the dataset, no other (MGDFR and MST-Distill chain several cells;
    # configs/mst/ also holds MST-Distill's own protocol).
    assert len(cells) == (len(METHODS) + len(ZOO_METHODS)) * 2 == 32
    on_disk = configs_on_disk(f'*_{dataset}.py') - set().union(
        *(configs_on_disk(f'*_{dataset}.py', folder)
          for folder in ('mm', 'mgdfr', 'mst', 'unpaired', 'ucmkd')))
    assert {c.config for c in cells} == on_disk
    for cell in cells:
        assert cell.student in student_modalities
        if cell.method == 'uni':
            assert cell.teacher is None and cell.teacher_config is None
        else:
            assert cell.teacher in student_modalities and cell.teacher != cell.student
            assert cell.teacher_config == f'configs/uni/uni_r18-{cell.teacher}_{dataset}.py'
            assert (REPO / cell.teacher_config).is_file()
    assert [c.config for c in benchmark_cells(table, methods=['fdkd'])] == [
        f'configs/fdkd/fdkd_r18-{b}_r18-{a}_{dataset}.py'
        for a, b in (student_modalities, student_modalities[::-1])]


def test_mm_table_is_every_config_of_configs_mm():
    cells = benchmark_cells('mm')
    chained = [c for c in cells if c.method == 'mst']
    cells = [c for c in cells if c.method != 'mst']
    # 5 datasets x (the fusion teacher's row + 11 distillers x 2 students).
    assert len(cells) == 5 * (1 + 11 * 2)
    assert {c.config for c in cells} == configs_on_disk('*.py', 'mm')
    # MST-Distill: the last stage of every chain of configs/mst/ (NYU's included), its two
    # earlier stages before it.
    assert {c.config for c in chained} == configs_on_disk('mst_*.py', 'mst')
    assert {c.dataset for c in chained} == {'cremad', 'ave', 'avmnist', 'ravdess', 'nyu'}
    assert sorted(c.config for c in chained if c.dataset == 'nyu') == [
        f'configs/mst/mst_dlv3p-r18-rgbd_dlv3p-r18-{s}_nyu.py' for s in ('depth', 'rgb')]
    for cell in chained:
        stem = cell.config.rsplit('/', 1)[1]
        assert cell.stages == (f'configs/mst/mst-cotrain_{stem[4:]}',
                               f'configs/mst/mst-mask_{stem[4:]}')
        assert all((REPO / stage).is_file() for stage in cell.stages)
        assert cell.teacher_config is None
    teachers = {c.dataset: c for c in cells if c.method == 'uni'}
    assert {d: c.config for d, c in teachers.items()} == {
        'cremad': 'configs/mm/uni_fusion-r18-av_cremad.py',
        'ave': 'configs/mm/uni_fusion-r18-av_ave.py',
        'avmnist': 'configs/mm/uni_fusion-r18-ia_avmnist.py',
        'ravdess': 'configs/mm/uni_fusion-r18-av_ravdess.py',
        'nyu': 'configs/mm/uni_dlv3p-r18-rgbd_nyu.py'}
    for cell in cells:
        if cell.method != 'uni':  # every distiller learns from its dataset's fusion model
            assert cell.teacher_config == teachers[cell.dataset].config
    assert {c.student for c in cells if c.dataset == 'nyu'} == {'rgbd', 'rgb', 'depth'}


def test_no_published_number_is_entered_and_no_cell_is_a_paper_cell():
    # The papers' tables could not be read: every paper column stays empty, none is guessed.
    assert PUBLISHED == {}
    assert {c.reported for c in BENCHMARK_CELLS} == {None}
    assert not {c.config for c in BENCHMARK_CELLS} & {c.config for c in CELLS}
    assert [c.table for c in find_benchmark_cells('kd_fusion-r18-ia_r18-image_avmnist')] == ['mm']
    assert find_benchmark_cells('kd_r18-audio_r18-visual_cremad.py') == []


def test_mm_plan_trains_the_fusion_teacher_first_and_hands_it_over(tmp_path):
    runs = plan_runs('mm', ['avmnist'], ['kd'], [0, 1], str(tmp_path), students=['image'])
    assert [r.name for r in runs] == ['uni_fusion-r18-ia_avmnist (seed 0)',
                                      'kd_fusion-r18-ia_r18-image_avmnist (seed 0)',
                                      'kd_fusion-r18-ia_r18-image_avmnist (seed 1)']
    assert runs[0].cells == [] and runs[1].teacher is runs[0] and runs[2].teacher is runs[0]
    teacher_dir = Path(runs[0].work_dir)
    teacher_dir.mkdir(parents=True)
    (teacher_dir / 'last_checkpoint').write_text(str(teacher_dir / 'epoch_100.pth'))
    assert run_options(runs[2], []) == [
        'randomness.seed=1', f'model.teacher_ckpt={teacher_dir / "epoch_100.pth"}']
    # The teacher's own row is a cell too: one run, both the row and the teacher.
    runs = plan_runs('mm', ['nyu'], ['uni', 'fdkd'], [0], str(tmp_path))
    assert [r.name for r in runs] == ['uni_dlv3p-r18-rgbd_nyu (seed 0)',
                                      'fdkd_dlv3p-r18-rgbd_dlv3p-r18-depth_nyu (seed 0)',
                                      'fdkd_dlv3p-r18-rgbd_dlv3p-r18-rgb_nyu (seed 0)']
    assert [c.method for c in runs[0].cells] == ['uni']
    with pytest.raises(ValueError, match=r"no cell of table ravdess .* datasets: \['ravdess'\]"):
        plan_runs('ravdess', ['cremad'], None, [0], str(tmp_path))


def test_cell_results_use_each_datasets_metric(tmp_path):
    runs = plan_runs('mm', ['nyu', 'ravdess'], ['kd'], [0], str(tmp_path), students=['rgb',
                                                                                     'audio'])
    students = [r for r in runs if r.cells]
    for run, value in zip(students, (41.5, 63.25)):
        Path(run.work_dir).mkdir(parents=True)
        key = 'mIoU' if run.dataset == 'nyu' else 'accuracy/top1'
        Path(run.metrics_file).write_text(json.dumps({key: value}))
    rows = cell_results(runs, [RunOutcome(r, 'done') for r in runs])
    assert [(r.dataset, r.paper_metric, r.values, r.paper, r.table) for r in rows] == [
        ('nyu', 'mIoU', {'mIoU': [41.5]}, None, 'mm'),
        ('ravdess', 'accuracy/top1', {'accuracy/top1': [63.25]}, None, 'mm')]


def test_collected_rows_know_their_table_and_direction(tmp_path):
    work = tmp_path / 'kd_fusion-r18-ia_r18-audio_avmnist' / 'seed3'
    work.mkdir(parents=True)
    (work / 'train_done').write_text('ok\n')
    (work / 'test_metrics.json').write_text(json.dumps({'accuracy/top1': 90.0}))
    (row,) = collect_root(str(tmp_path), 'mm')
    assert (row.method, row.dataset, row.teacher, row.student, row.table, row.seeds,
            row.values, row.paper) == ('kd', 'avmnist', 'ia', 'audio', 'mm', [3],
                                       {'accuracy/top1': [90.0]}, None)


def test_avmnist_data_check_names_each_missing_array(tmp_path):
    names = ['train_labels.npy', 'test_labels.npy', 'image/train_data.npy',
             'image/test_data.npy', 'audio/train_data.npy', 'audio/test_data.npy']
    for name in names:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b'')
    assert data_status('avmnist', str(tmp_path)).ok
    (tmp_path / 'audio/test_data.npy').unlink()
    assert data_status('avmnist', str(tmp_path)).missing == ['audio/test_data.npy']


def test_dry_run_lists_the_new_tables(tmp_path, capsys):
    # MM: 115 one-run cells and 10 MST-Distill chains of three runs.
    for table, cells, runs in (('avmnist', 32, 32), ('ravdess', 32, 32), ('mm', 125, 145)):
        assert main(['--table', table, '--dry-run', '--work-root', str(tmp_path)]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith(f'plan: table {table}, {cells} cell(s), {runs} run(s)')
    assert main(['--table', 'mm', '--dataset', 'avmnist', '--methods', 'fdkd', '--dry-run',
                 '--work-root', str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith('plan: table mm, 2 cell(s), 3 run(s)')
    assert any(line.endswith('-> mm fdkd/avmnist/image') for line in lines)
    with pytest.raises(SystemExit):
        build_parser().parse_args(['--table', 'avmnist2'])
    assert "invalid table 'avmnist2'" in capsys.readouterr().err


def test_a_chained_cell_trains_its_stages_in_order_with_its_seed(tmp_path):
    runs = plan_runs('mm', ['cremad'], ['mst'], [0, 1], str(tmp_path), students=['audio'])
    cell = 'fusion-r18-av_r18-audio_cremad'
    assert [run.name for run in runs] == [
        f'{stage}_{cell} (seed {seed})' for stage in ('mst-cotrain', 'mst-mask', 'mst')
        for seed in (0, 1)]
    by_name = {run.name: run for run in runs}
    for seed in (0, 1):
        cotrain, mask, last = (by_name[f'{stage}_{cell} (seed {seed})']
                               for stage in ('mst-cotrain', 'mst-mask', 'mst'))
        assert cotrain.teacher is None and not cotrain.cells
        assert (mask.teacher, mask.teacher_option) == (cotrain, 'load_from')
        assert (last.teacher, last.teacher_option) == (mask, 'load_from')
        assert [c.method for c in last.cells] == ['mst']
        # Each stage starts from the last checkpoint of the one before (MMEngine's pointer).
        Path(cotrain.work_dir).mkdir(parents=True)
        checkpoint = Path(cotrain.work_dir) / 'epoch_100.pth'
        checkpoint.write_bytes(b'')
        (Path(cotrain.work_dir) / 'last_checkpoint').write_text(str(checkpoint))
        assert run_options(mask, []) == [f'randomness.seed={seed}', f'load_from={checkpoint}']
