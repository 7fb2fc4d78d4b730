"""Every baseline config (configs/baselines/<method>/<experiment>.py) trains on synthetic data.

Each config found under ``configs/baselines`` goes through MMEngine's Runner in-process, as
``tools/train.py`` runs it, for two iterations: 64x80 NYU crops (full DeepLabV3+ R18), or
32-pixel CREMA-D frames with narrow ResNet-18s (base width 8), batch 2, no pretrained weights,
plain BN, no teacher checkpoint, no validation or checkpoints. Narrowing the CREMA-D networks
rewrites every channel argument of the config's losses and connectors through the widths the
shared bases declare (``feature_channels``, ``stage_channels``), so a channel number written
by hand fails here. The run must log finite losses with the method's keys, and the teacher
must change exactly when the method trains it (DML, C2KD).
"""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from fdkd_mm.testing import write_synthetic_nyu
from fdkd_mm.testing.synthetic_audio_visual import write_synthetic_cremad

REPO = Path(__file__).resolve().parents[2]
BASELINES = REPO / 'configs' / 'baselines'
CONFIGS = sorted(BASELINES.rglob('*.py'))
IDS = [p.relative_to(BASELINES).as_posix() for p in CONFIGS]

METHODS = ('kd', 'dist', 'dkd', 'nkd', 'dml', 'feat', 'pkd', 'ofd', 'afd', 'c2kd')
EXPERIMENTS = ('nyu_depth_to_rgb', 'nyu_rgb_to_depth', 'cremad_audio_to_visual',
               'cremad_visual_to_audio')
TRAINABLE_TEACHER = {'dml', 'c2kd'}
# Method -> the distillation keys it logs (student.* and, for a trainable teacher, teacher.*
# task losses come on top).
DISTILL_KEYS = {
    'kd': {'distill.loss_kd'}, 'dist': {'distill.loss_dist'}, 'dkd': {'distill.loss_dkd'},
    'nkd': {'distill.loss_nkd'}, 'feat': {'distill.loss_feat'}, 'pkd': {'distill.loss_pkd'},
    'ofd': {'distill.loss_ofd'}, 'afd': {'distill.loss_afd'},
    'dml': {'distill.loss_dml.loss_kl_student', 'distill.loss_dml.loss_kl_teacher'},
    'c2kd': {'distill.loss_c2kd.loss_student_proxy', 'distill.loss_c2kd.loss_teacher_proxy',
             'distill.loss_c2kd.loss_proxy_distill'},
}
BASE = 8  # CREMA-D ResNet base width here: stages of 16 / 32 / 64 channels


def test_the_baselines_cover_every_method_and_experiment():
    found = {(p.parent.name, p.stem) for p in CONFIGS}
    expected = {(m, e) for m in METHODS for e in EXPERIMENTS}
    # C2KD is classification only (see the header of configs/baselines/c2kd/*.py).
    expected -= {('c2kd', 'nyu_depth_to_rgb'), ('c2kd', 'nyu_rgb_to_depth')}
    assert expected <= found, sorted(expected - found)
    assert not {p.stem for p in (BASELINES / 'c2kd').glob('nyu_*.py')}


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope='module')
def data_roots(tmp_path_factory) -> dict[str, str]:
    """Synthetic data in the real layouts, written once for every config."""
    nyu = write_synthetic_nyu(tmp_path_factory.mktemp('nyu'), num_train=4, num_test=1)
    cremad = tmp_path_factory.mktemp('cremad')
    write_synthetic_cremad(str(cremad), clips_per_class=(1, 1))  # 6 training clips
    return dict(NYUDepthV2Dataset=str(nyu), CremaDDataset=str(cremad))


@pytest.fixture(scope='module', autouse=True)
def plain_config_text():
    """Skip yapf: the Runner formats the whole config for its log and its dump, seconds per run
    on a busy CPU that test nothing here (the dumped text is not read back)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Config, 'pretty_text',
                      property(lambda self: repr(self._cfg_dict.to_dict())))
        yield


# ----------------------------------------------------------------------------- shrinking
def set_transform(pipeline: list, type_name: str, **updates) -> None:
    matches = [t for t in pipeline if t['type'] == type_name]
    assert matches, f'no {type_name} in the pipeline'
    for transform in matches:
        transform.update(updates)


def follow_widths(node, widths: dict[int, int], where: str = 'model') -> None:
    """Rewrite every ``*channels`` argument below ``node`` through ``widths`` (in place)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith('channels') and value is not None:
                values = list(value) if isinstance(value, (list, tuple)) else [value]
                unknown = [v for v in values if v not in widths]
                assert not unknown, (f'{where}.{key}={value}: not a width the base declares '
                                     f'({sorted(widths)}); write it with feature_channels / '
                                     'stage_channels')
                node[key] = ([widths[v] for v in values] if isinstance(value, (list, tuple))
                             else widths[value])
            else:
                follow_widths(value, widths, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for item in node:
            follow_widths(item, widths, where)


def shrink_nyu(cfg: Config) -> None:
    pipeline = cfg.train_dataloader.dataset.pipeline
    set_transform(pipeline, 'mmseg.RandomResize', scale=(80, 64))
    set_transform(pipeline, 'mmseg.RandomCrop', crop_size=(64, 80))
    for network in (cfg.model.student, cfg.model.teacher):
        network.pretrained = None  # no network access: no ImageNet weights
        network.backbone.init_cfg = None
        network.data_preprocessor.size = (64, 80)


def shrink_cremad(cfg: Config) -> None:
    set_transform(cfg.train_dataloader.dataset.pipeline, 'FramesRandomResizedCrop', scale=32)
    for network in (cfg.model.student, cfg.model.teacher):
        resnet = network.backbone
        if resnet.type.endswith('FrameFoldingBackbone'):
            resnet = resnet.backbone
        resnet.update(base_channels=BASE, stem_channels=BASE)
        network.head.in_channels = BASE * 8
    widths = {cfg.feature_channels: BASE * 8}
    widths.update({full: BASE * 2 ** (i + 1) for i, full in enumerate(cfg.stage_channels)})
    for part in ('connectors', 'distill_losses'):
        follow_widths(cfg.model.get(part), widths, f'model.{part}')


def two_iterations(config: Path, data_roots: dict, work_dir: Path) -> Config:
    """The config as a 2-iteration CPU run on synthetic data, without validation."""
    cfg = Config.fromfile(str(config))
    dataset = cfg.train_dataloader.dataset
    dataset.data_root = data_roots[dataset.type]
    {'NYUDepthV2Dataset': shrink_nyu, 'CremaDDataset': shrink_cremad}[dataset.type](cfg)
    cfg.model.teacher_ckpt = None  # no teacher run here: the teacher keeps its initialisation
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=10 ** 6)
    for stage in ('val', 'test'):
        cfg[f'{stage}_cfg'] = cfg[f'{stage}_dataloader'] = cfg[f'{stage}_evaluator'] = None
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1, log_metric_by_epoch=False)
    cfg.log_processor = dict(by_epoch=False, window_size=1)
    cfg.env_cfg.cudnn_benchmark = False
    cfg.sync_bn = None
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    # The visualizer and the message hub are named global instances: fresh names per run. The
    # hub is named after the experiment, by default the config's file name plus a timestamp in
    # seconds, and e.g. dist/ and c2kd/cremad_audio_to_visual.py share a file name: two runs
    # started within one second would log into one hub.
    cfg.visualizer.name = f'visualizer_{work_dir.parent.name}_{work_dir.name}'
    cfg.experiment_name = f'{config.parent.name}_{config.stem}_{work_dir.parent.name}'
    return cfg


# ----------------------------------------------------------------------------- the runs
def teacher_state(runner: Runner) -> dict[str, torch.Tensor]:
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    return {k: v.detach().clone() for k, v in model.teacher.state_dict().items()}


class TeacherWatch(Hook):
    """Snapshots the teacher after weight initialisation and after training."""

    def before_train(self, runner) -> None:
        self.before = teacher_state(runner)

    def after_train(self, runner) -> None:
        self.after = teacher_state(runner)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self.teacher_training = [m.training for m in model.teacher.modules()]


@pytest.mark.parametrize('config', CONFIGS, ids=IDS)
def test_baseline_trains_two_iterations(config, data_roots, tmp_path):
    method = config.parent.name
    runner = Runner.from_cfg(two_iterations(config, data_roots, tmp_path / 'work'))
    watch = TeacherWatch()
    runner.register_hook(watch, priority='LOWEST')
    runner.train()

    scalars = next((tmp_path / 'work').glob('*/vis_data/scalars.json'))
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    assert [r['iter'] for r in records] == [1, 2]
    for record in records:
        losses = {k: v for k, v in record.items() if 'loss' in k}
        assert all(torch.isfinite(torch.tensor(v)) for v in losses.values()), losses
        assert any(k.startswith('student.') for k in losses), losses
        distill = {k for k in losses if k.startswith('distill.')}
        assert distill == DISTILL_KEYS.get(method, distill) and distill, losses
        has_teacher_loss = any(k.startswith('teacher.') for k in losses)
        assert has_teacher_loss == (method in TRAINABLE_TEACHER), losses

    changed = [k for k, v in watch.after.items() if not torch.equal(v, watch.before[k])]
    if method in TRAINABLE_TEACHER:
        # Weights (not only BN statistics) moved, and the teacher trained in train mode.
        assert any(watch.after[k].is_floating_point() and 'running' not in k for k in changed)
        assert all(watch.teacher_training)
    else:
        assert not changed, changed[:5]  # weights and BN statistics alike
        assert not any(watch.teacher_training)
