"""The paper's tables as data: every cell has its config, which builds, validates and is the
experiment the cell reports; one cell per dataset and method family trains two iterations.

The tables live in :mod:`fdkd_mm.reproduction.paper_tables` (Tables 2, 3, 4 and 7). Every other config under
``configs/`` (options, mixing, methods outside Table 3 on NYU) builds and validates too.
"""
import collections
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import init_default_scope

from fdkd_mm.registry import MODELS
from fdkd_mm.reproduction.paper_tables import CELLS, DATASETS, cells, config_name
from fdkd_mm.models.distillers.validation import packed_input_keys, validate_distill_config
from tiny_runs import REPO, TINY_BERT, distill_keys, tiny_config, train

CONFIGS = sorted(p for p in (REPO / 'configs').rglob('*.py') if '_base_' not in p.parts)
CELL_CONFIGS = sorted({cell.config for cell in CELLS})
LOSS_TYPES = {
    'kd': {'KDLoss'}, 'dist': {'DISTLoss'}, 'dml': {'DMLLoss'}, 'nkd': {'NKDLoss'},
    'dkd': {'DKDLoss'}, 'feat': {'FitNetLoss'}, 'pkd': {'PKDLoss'}, 'ofd': {'OFDLoss'},
    'afd': {'AFDLoss', 'KDLoss'}, 'c2kd': {'C2KDLoss'}, 'fdkd': {'FDCMKDLoss'},
}
TRAINABLE_TEACHER = {'dml', 'c2kd'}
# Table 4 rows: (frequency, align, scale, log).
SWITCHES = {'fdkd': (True, True, True, True), 'fdkd-freq': (True, False, False, False),
            'fdkd-align': (False, True, False, False),
            'fdkd-freq-align': (True, True, False, False),
            'fdkd-freq-scale': (True, False, True, False),
            'fdkd-freq-align-scale': (True, True, True, False)}
FD_KEYS = {'distill.loss_low', 'distill.loss_high', 'align.loss_low_student',
           'align.loss_low_teacher', 'align.loss_high_student', 'align.loss_high_teacher',
           'aux.loss_low', 'aux.loss_high'}
DISTILL_KEYS = {
    'kd': {'distill.loss_kd'}, 'dist': {'distill.loss_dist'}, 'dkd': {'distill.loss_dkd'},
    'nkd': {'distill.loss_nkd'}, 'feat': {'distill.loss_feat'}, 'pkd': {'distill.loss_pkd'},
    'ofd': {'distill.loss_ofd'}, 'afd': {'distill.loss_afd', 'distill.loss_kd'},
    'dml': {'distill.loss_dml.loss_kl_student', 'distill.loss_dml.loss_kl_teacher'},
    'c2kd': {'distill.loss_c2kd.loss_student_proxy', 'distill.loss_c2kd.loss_teacher_proxy',
             'distill.loss_c2kd.loss_proxy_distill'},
    'fdkd': FD_KEYS,
}


def method_of(loss_cfg_method: str) -> str:
    """The loss family of a (possibly variant) method key: 'fdkd-freq' -> 'fdkd'."""
    return 'fdkd' if loss_cfg_method.startswith('fdkd') else loss_cfg_method


def with_tiny_bert(node):
    """Local BERT-base weights (a directory the user provides) -> a config of the same width."""
    if isinstance(node, dict):
        if str(node.get('type', '')).endswith('HFTextEncoder'):
            node.update(pretrained=None, config=dict(TINY_BERT))
        for value in node.values():
            with_tiny_bert(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            with_tiny_bert(value)


def test_every_cell_names_a_config_and_basenames_are_unique():
    assert collections.Counter(c.table for c in CELLS) == {2: 96, 3: 18, 4: 28, 7: 12}
    missing = [cell.config for cell in CELLS if not (REPO / cell.config).is_file()]
    assert not missing, missing
    names = collections.Counter(p.name for p in CONFIGS)
    assert not [name for name, count in names.items() if count > 1]


@pytest.mark.parametrize('path', CONFIGS, ids=[p.relative_to(REPO).as_posix() for p in CONFIGS])
def test_config_builds_and_validates(path):
    cfg = Config.fromfile(str(path))
    with_tiny_bert(cfg._cfg_dict)
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    if 'student_input' in cfg.model:
        validate_distill_config(cfg)  # builds the distiller offline and checks every width
    else:
        model = cfg.model.to_dict()
        model.pop('pretrained', None)
        MODELS.build(model)
    for key in ('train_dataloader', 'val_dataloader', 'optim_wrapper', 'train_cfg'):
        assert cfg.get(key) is not None, f'{path.name} lacks {key}'


@pytest.mark.parametrize('config', CELL_CONFIGS)
def test_cell_config_is_the_experiment_of_its_cell(config):
    cfg = Config.fromfile(str(REPO / config))
    for cell in (c for c in CELLS if c.config == config):
        if cell.method == 'uni':
            keys, plain = packed_input_keys(cfg.train_dataloader.dataset.pipeline)
            assert plain and keys == [cell.student], (cell, keys)
            assert 'student_input' not in cfg.model
            continue
        model = cfg.model
        assert (model.student_input, model.teacher_input) == (cell.student, cell.teacher)
        method = method_of(cell.method)
        assert {loss.type for loss in model.distill_losses.values()} == LOSS_TYPES[method]
        assert model.teacher_trainable == (method in TRAINABLE_TEACHER)
        if method == 'fdkd':
            loss = model.distill_losses.loss_fd
            if cell.method in SWITCHES:
                switches = tuple(loss.ablation[k] for k in ('frequency', 'align', 'scale',
                                                            'log'))
                assert switches == SWITCHES[cell.method], cell
            cutoff = {'fdkd-cutoff025': 0.25, 'fdkd-cutoff075': 0.75}.get(cell.method, 0.5)
            assert loss.decoupler == dict(type='FrequencyDecoupler', cutoff=cutoff), cell


def test_the_tables_cover_the_papers_rows_and_columns():
    table2 = {(c.method, c.dataset, c.student) for c in cells(table=2)}
    methods = ('uni', 'kd', 'dist', 'dml', 'nkd', 'dkd', 'feat', 'pkd', 'ofd', 'afd', 'c2kd',
               'fdkd')
    assert table2 == {(m, d, s) for m in methods for d in ('cremad', 'ave', 'vggsound',
                                                           'crisismmd')
                      for s in DATASETS[d][:2]}
    assert {c.reported for c in cells(table=3, methods=['fdkd'])} == {33.2, 36.9}
    # Table 4's none row is Feat and its all-four row FD-CMKD: the same configs as Table 2's.
    assert {c.config for c in cells(table=4, methods=['feat', 'fdkd'])} <= {
        c.config for c in cells(table=2)}
    assert config_name('kd', 'nyu', 'rgb') == 'kd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu'


# ------------------------------------------------------------------------------ two iterations
class TeacherWatch(Hook):
    """Snapshots the teacher after weight initialisation and after training."""

    @staticmethod
    def teacher(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return model.teacher

    def before_train(self, runner) -> None:
        self.before = {k: v.detach().clone() for k, v in self.teacher(runner).state_dict().items()}

    def after_train(self, runner) -> None:
        teacher = self.teacher(runner)
        self.after = {k: v.detach().clone() for k, v in teacher.state_dict().items()}
        self.training = [m.training for m in teacher.modules()]


def _runs() -> list[tuple[str, str, str]]:
    """(method, dataset, student): every method family on every dataset, alternating the
    direction, every method on CREMA-D and NYU, and CrisisMMD's projected / plain variants."""
    runs = []
    for dataset, (a, b, *_) in DATASETS.items():
        runs += [('dkd', dataset, a), ('c2kd', dataset, b), ('afd', dataset, a),
                 ('fdkd', dataset, b)]
    for dataset, student in (('cremad', 'visual'), ('nyu', 'rgb')):
        runs += [(m, dataset, student) for m in ('kd', 'dist', 'dml', 'nkd', 'feat', 'pkd',
                                                 'ofd')]
    runs += [('ofd', 'crisismmd', 'image'), ('feat', 'crisismmd', 'text'),
             ('pkd', 'crisismmd', 'image')]
    return runs


RUNS = _runs()


@pytest.mark.parametrize('method, dataset, student', RUNS,
                         ids=[config_name(*run) for run in RUNS])
def test_cell_trains_two_iterations(method, dataset, student, data_roots, tokenizer_dir,
                                    tmp_path):
    config = f'configs/{method}/{config_name(method, dataset, student)}.py'
    watch = TeacherWatch()
    _, records = train(tiny_config(config, data_roots, tokenizer_dir, tmp_path / 'work'),
                       hooks=[watch])
    for record in records:
        assert distill_keys(record) == DISTILL_KEYS[method], record
        assert any(k.startswith('student.') for k in record)
        assert any(k.startswith('teacher.') for k in record) == (method in TRAINABLE_TEACHER)
    changed = [k for k, v in watch.after.items() if not torch.equal(v, watch.before[k])]
    if method in TRAINABLE_TEACHER:
        # Weights (not only BN statistics) moved, and the teacher trained in train mode.
        assert any(watch.after[k].is_floating_point() and 'running' not in k for k in changed)
        assert all(watch.training)
    else:
        assert not changed, changed[:5]  # weights and BN statistics alike
        assert not any(watch.training)
