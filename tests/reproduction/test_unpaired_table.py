"""The unpaired comparison as a table of ours: its cells, their configs, and the runner's plan
(teacher on part A, its checkpoint handed over under each cell's option)."""
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from fdkd_mm.reproduction.runner import Launcher, cell_results, execute, plan_runs, run_options
from fdkd_mm.reproduction.tables import SeedSummary, seeds_markdown, summary_markdown
from fdkd_mm.reproduction.paper_tables import CELLS
from fdkd_mm.reproduction.unpaired_tables import (CLASSIFICATION_ONLY, METHODS, STREAMED,
                                                  UNPAIRED_CELLS, UnpairedCell, unpaired_cells)

REPO = Path(__file__).resolve().parents[2]


def inner(dataset: dict) -> dict:
    while 'pipeline' not in dataset:
        dataset = dataset['dataset']
    return dataset


def test_every_cell_has_its_config_and_none_is_a_paper_cell():
    # NYU: 5 rows per direction (the published method needs pooled features and a linear
    # classifier); CREMA-D, AVE, VGGSound, RAVDESS: all 9.
    assert len(UNPAIRED_CELLS) == 2 * 5 + 4 * 2 * 9
    assert all((REPO / c.config).is_file() for c in UNPAIRED_CELLS)
    assert all((REPO / c.teacher_config).is_file() for c in UNPAIRED_CELLS if c.teacher)
    assert {c.reported for c in UNPAIRED_CELLS} == {None}
    assert not {c.config for c in UNPAIRED_CELLS} & {c.config for c in CELLS}
    assert [c.method for c in unpaired_cells('nyu')][:5] == [
        m for m in METHODS if m not in CLASSIFICATION_ONLY]
    for dataset in ('cremad', 'ave', 'vggsound', 'ravdess'):
        assert [c.method for c in unpaired_cells(dataset)][:9] == list(METHODS)


@pytest.mark.parametrize('cell', UNPAIRED_CELLS, ids=lambda c: c.config.split('/')[-1])
def test_cell_config_is_the_experiment_of_its_row(cell):
    cfg = Config.fromfile(str(REPO / cell.config))
    split_of = Config.fromfile(str(REPO / f'configs/_base_/unpaired/{cell.dataset}_split.py'))
    student_data = cfg.train_dataloader.dataset
    # The student always trains on part B of the one split of its dataset.
    assert student_data.type == 'fdkd_mm.DisjointPartDataset' and student_data.part == 'B'
    assert {k: student_data[k] for k in split_of.part_split} == split_of.part_split
    if cell.method == 'uni-partb':
        assert 'student_input' not in cfg.model
        return
    if cell.method == 'heads-partb':  # the control: the heads on the student, nothing else
        assert cfg.model.teacher is None and cell.teacher_config is None
        (loss,) = cfg.model.distill_losses.values()
        assert {term for term, flag in loss.terms.items() if flag} == {'align'}
        assert cfg.teacher_bank is None and cfg.teacher_dataloader is None
        hooks = [h['type'] for h in cfg.custom_hooks]
        assert 'fdkd_mm.BuildTeacherBankHook' not in hooks and 'SyncBuffersHook' in hooks
        ufd = Config.fromfile(str(REPO / UnpairedCell('ufd', cell.dataset, cell.student).config))
        (ufd_loss,) = ufd.model.distill_losses.values()
        for key in ('decoupler', 'shared_head', 'num_classes', 'in_channels'):
            assert loss[key] == ufd_loss[key], key  # the heads of unpaired FD, exactly
        assert cfg.train_dataloader == ufd.train_dataloader
        return
    teacher_cfg = Config.fromfile(str(REPO / cell.teacher_config))
    teacher_data = teacher_cfg.train_dataloader.dataset
    assert teacher_data.part == 'A'
    assert {k: teacher_data[k] for k in split_of.part_split} == split_of.part_split
    assert cfg.model.student_input == cell.student
    losses = {loss.type for loss in cfg.model.distill_losses.values()}
    if cell.method == 'fdkd-partb':
        assert losses == {'FDCMKDLoss'} and cfg.model.teacher_input == cell.teacher
        assert cfg.model.teacher_ckpt.startswith(f'work_dirs/{Path(cell.teacher_config).stem}/')
        return
    if cell.method in STREAMED:  # the part-A teacher streamed over part A, no bank
        check_streamed(cfg, cell, teacher_cfg, split_of.part_split)
        return
    # The unpaired rows: no teacher network, the student's modality only, the bank of the
    # part-A teacher over part A of the teacher's modality.
    published = cell.method in CLASSIFICATION_ONLY
    assert cfg.model.teacher is None
    assert losses == ({'UnpairedCMKDLoss'} if published else {'UnpairedFDLoss'})
    assert 'fdkd_mm.BuildTeacherBankHook' in [h['type'] for h in cfg.custom_hooks]
    bank = cfg.teacher_bank
    assert bank.teacher_input == cell.teacher and bank.require_disjoint
    assert bank.teacher_ckpt.startswith(f'work_dirs/{Path(cell.teacher_config).stem}/')
    bank_data = cfg.teacher_dataloader.dataset
    assert bank_data.part == 'A'
    assert {k: bank_data[k] for k in split_of.part_split} == split_of.part_split
    for pipeline, modality in ((inner(student_data).pipeline, cell.student),
                               (inner(bank_data).pipeline, cell.teacher)):
        pack = pipeline[-1]
        packed = list(pack.get('modalities') or pack.get('keys'))
        assert packed == [modality], pipeline
    (loss,) = cfg.model.distill_losses.values()
    on = {term for term, flag in loss.terms.items() if flag}
    if published:  # FA and LA from the bank; the variant's own step and settings
        assert on == {'fa', 'la'} and loss.teacher_source == 'bank'
        bilevel = cell.method == 'ucmkd-bilevel'
        assert cfg.train_cfg.type.endswith('BilevelEpochBasedTrainLoop') == bilevel
        assert loss.clamp_cost == loss.la_teacher_grad == (not bilevel)
        assert cfg.optim_wrapper.clip_grad == (None if bilevel else dict(max_norm=5.0))
        assert cfg.train_cfg.max_epochs == 100
        return
    assert on == ({'label'} if cell.method == 'ukd'
                  else {'feature', 'label', 'align', 'align_teacher'})


def check_streamed(cfg: Config, cell: UnpairedCell, teacher_cfg: Config, part_split: dict):
    """A streamed row: the part-A teacher's network (so its checkpoint loads) runs on batches
    of part A of its own modality, shuffled and cycled by its hook; FA and LA read it."""
    model = cfg.model
    assert model.teacher_stream is True and model.teacher_input == cell.teacher
    assert model.teacher == teacher_cfg.model
    assert model.teacher_ckpt.startswith(f'work_dirs/{Path(cell.teacher_config).stem}/')
    assert cfg.teacher_bank is None
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert 'fdkd_mm.TeacherStreamHook' in hooks and 'fdkd_mm.BuildTeacherBankHook' not in hooks
    assert 'fdkd_mm.RNGStateHook' in hooks and 'SyncBuffersHook' in hooks
    loader = cfg.teacher_dataloader
    assert loader.sampler == dict(type='DefaultSampler', shuffle=True) and loader.drop_last
    assert loader.dataset.part == 'A'
    assert {k: loader.dataset[k] for k in part_split} == part_split
    pack = inner(loader.dataset).pipeline[-1]
    assert list(pack['keys']) == [cell.teacher] and pack['plain_inputs']
    # The teacher sees its modality's training transforms, as its own training did.
    assert inner(loader.dataset).pipeline[:-1] == inner(teacher_cfg.train_dataloader.dataset
                                                        ).pipeline[:-1]
    (loss,) = model.distill_losses.values()
    assert loss.type == 'UnpairedCMKDLoss' and loss.teacher_source == 'batch'
    assert {term for term, flag in loss.terms.items() if flag} == {'fa', 'la'}
    mapped = model.loss_forward_mappings.loss_cmkd
    assert {mapped[k].recorder for k in ('teacher_feat', 'teacher_head_weight',
                                         'teacher_head_bias')} == {'feat', 'head_weight',
                                                                   'head_bias'}
    bilevel = cell.method == 'ucmkd-bilevel-stream'
    assert cfg.train_cfg.type.endswith('BilevelEpochBasedTrainLoop') == bilevel
    assert loss.clamp_cost == loss.la_teacher_grad == (not bilevel)
    assert cfg.optim_wrapper.clip_grad == (None if bilevel else dict(max_norm=5.0))


def test_the_plan_trains_the_part_a_teacher_first_and_hands_its_checkpoint_over(tmp_path):
    runs = plan_runs('unpaired', ['cremad'], None, [0, 1], str(tmp_path), students=['visual'])
    names = [run.name for run in runs]
    # The teacher-free rows first (no teacher to wait for), then the part-A teacher.
    assert names[:5] == ['uni-partb_r18-visual_cremad (seed 0)',
                         'uni-partb_r18-visual_cremad (seed 1)',
                         'heads-partb_r18-visual_cremad (seed 0)',
                         'heads-partb_r18-visual_cremad (seed 1)',
                         'uni-parta_r18-audio_cremad (seed 0)']
    assert runs[2].teacher is None and run_options(runs[2], []) == ['randomness.seed=0']
    teacher = runs[4]
    distillers = runs[5:]
    assert len(distillers) == 14 and all(run.teacher is teacher for run in distillers)
    teacher_dir = Path(teacher.work_dir)
    teacher_dir.mkdir(parents=True)
    (teacher_dir / 'last_checkpoint').write_text(str(teacher_dir / 'epoch_100.pth'))
    options = {run.config.split('/')[-1].split('_')[0]: run_options(run, []) for run in runs[5:]}
    assert f'teacher_bank.teacher_ckpt={teacher_dir / "epoch_100.pth"}' in options['ufd']
    assert f'teacher_bank.teacher_ckpt={teacher_dir / "epoch_100.pth"}' in options['ukd']
    for method in ('ucmkd-sumall', 'ucmkd-bilevel'):
        assert f'teacher_bank.teacher_ckpt={teacher_dir / "epoch_100.pth"}' in options[method]
    for method in ('fdkd-partb', 'ucmkd-sumall-stream', 'ucmkd-bilevel-stream'):
        assert f'model.teacher_ckpt={teacher_dir / "epoch_100.pth"}' in options[method]
    assert not any('model.teacher_ckpt' in o for o in options['ufd'])
    # Finished runs are read back into the table, one row per cell, mean over the seeds.
    for index, run in enumerate(runs):
        Path(run.work_dir).mkdir(parents=True, exist_ok=True)
        Path(run.train_marker).write_text('ok\n')
        Path(run.metrics_file).write_text(json.dumps({'accuracy/top1': 50.0 + index}))
    outcomes = execute(runs, Launcher(), lambda run: [], log=lambda line: None)
    assert {o.status for o in outcomes} == {'done'}
    results = {r.method: r for r in cell_results(runs, outcomes)}
    assert list(results) == list(METHODS)
    # Runs 15, 16: ufd's seeds 0, 1 after ukd, sumall, bilevel and their streamed rows.
    assert results['ufd'].values == {'accuracy/top1': [65.0, 66.0]}
    markdown = summary_markdown(list(results.values()))
    assert ('| ufd_r18-audio_r18-visual_cremad | ufd | cremad | audio→visual | 0, 1 | '
            '65.50 ± 0.71 |  |  |') in markdown
    with pytest.raises(ValueError, match=r"no cell of table unpaired .* methods: \['fdkd-partb'"):
        plan_runs('unpaired', ['cremad'], ['kd'], [0], str(tmp_path))
    with pytest.raises(ValueError, match="no cell of table 3"):
        plan_runs(3, ['cremad'], None, [0], str(tmp_path))


def test_the_papers_plans_are_unchanged(tmp_path):
    runs = plan_runs(2, ['cremad'], ['kd'], [0], str(tmp_path), students=['visual'])
    assert [run.config for run in runs] == ['configs/uni/uni_r18-audio_cremad.py',
                                            'configs/kd/kd_r18-audio_r18-visual_cremad.py']
    assert runs[1].teacher_option == 'model.teacher_ckpt'
    with pytest.raises(ValueError, match='no cell of table None'):
        plan_runs(None, None, ['ufd'], [0], str(tmp_path))  # the paper's tables only


def test_the_demos_table_lists_every_seed_with_mean_and_sample_std():
    alone, heads = unpaired_cells('nyu', ['uni-partb', 'heads-partb'])[:2]
    results = [SeedSummary('a', alone.method, 'nyu', None, 'rgb', [0, 1],
                           {'top-1': [20.0, 24.0]}, paper_metric='top-1'),
               SeedSummary('h', heads.method, 'nyu', None, 'rgb', [0, 1], {'top-1': []},
                           paper_metric='top-1', status='failed (exit 1)')]
    assert seeds_markdown(results, METHODS, 'RGB student', 'top-1').splitlines() == [
        '| RGB student | top-1 per seed | mean ± std |', '|---|---|---|',
        '| student alone (part B) | 20.00, 24.00 | 22.00 ± 2.83 |',  # sample std: sqrt(8)
        '| student + band heads, no teacher (control) | failed (exit 1) | - |']
