"""Every ablation and mixing config builds and trains two iterations on synthetic data.

Only sizes, paths and the schedule are overridden: narrow networks (ResNet base width 8,
MiT embed width 8), 64x80 NYU crops or 32-pixel CREMA-D frames, batch 2, no pretrained weights,
plain BN, no teacher checkpoint, two iterations without validation. The configs that bring
their own engine parts (a hook, an optimizer setting, other architectures) run through
MMEngine's Runner as ``tools/train.py`` runs them; the Table 4 / Table 7 ablations, which only
change model arguments, run two ``train_step`` calls of the config's model, dataloader and
optimizer wrapper, which keeps the file fast. The logged loss keys and the built model then
show that each config changes what it claims to change.
"""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import Runner

from fdkd_mm.testing import write_synthetic_nyu
from fdkd_mm.testing.synthetic_audio_visual import write_synthetic_cremad
from fdkd_mm.models.builder import build_scoped

REPO = Path(__file__).resolve().parents[2]
BASE = 8  # ResNet base width here: 64-d CREMA-D features, 16-d NYU decode features
NYU_WIDTH = 16  # DeepLabV3+ decode_head.channels: the distilled width
MIT_WIDTH = 8  # MiT embed width: stages of 8, 16, 40, 64 channels
FULL = {'distill.loss_low', 'distill.loss_high', 'align.loss_low_student',
        'align.loss_low_teacher', 'align.loss_high_student', 'align.loss_high_teacher',
        'aux.loss_low', 'aux.loss_high'}
NO_FREQ = {'distill.loss_feat', 'align.loss_feat_student', 'align.loss_feat_teacher'}
NO_ALIGN = FULL - {k for k in FULL if k.startswith('align.')}
FOUR_BANDS = {f'{kind}_band{i}{side}' for i in range(4) for kind, side in (
    ('distill.loss', ''), ('aux.loss', ''), ('align.loss', '_student'),
    ('align.loss', '_teacher'))}
# Config name -> the distillation keys it must log (student.* keys come on top).
EXPECTED_KEYS = {
    'no_freq': NO_FREQ, 'no_align': NO_ALIGN, 'no_scale': FULL, 'no_log': FULL,
    'feat': {'distill.loss_feat'}, 'cutoff025': FULL, 'cutoff050': FULL, 'cutoff075': FULL,
    'learnable_cutoff': FULL, 'multiband4': FOUR_BANDS, 'spatial': FULL,
}
TABLE_ABLATIONS = ('no_freq', 'no_align', 'no_scale', 'no_log', 'feat', 'cutoff025',
                   'cutoff050', 'cutoff075')
NYU_ABLATIONS = [f'configs/ablations/nyu_depth_to_rgb_{name}.py' for name in TABLE_ABLATIONS]
NYU_OPEN_QUESTIONS = [f'configs/ablations/nyu_depth_to_rgb_{name}.py'
                      for name in ('learnable_cutoff', 'multiband4', 'spatial')]
CREMAD_ABLATIONS = [f'configs/ablations/cremad_audio_to_visual_{name}.py'
                    for name in TABLE_ABLATIONS]


@pytest.fixture(scope='module')
def nyu_root(tmp_path_factory) -> str:
    return str(write_synthetic_nyu(tmp_path_factory.mktemp('nyu'), num_train=4, num_test=1))


@pytest.fixture(scope='module')
def cremad_root(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp('cremad')
    write_synthetic_cremad(str(root), clips_per_class=(1, 1))
    return str(root)


def set_transform(pipeline: list, type_name: str, **updates) -> None:
    matches = [t for t in pipeline if t['type'] == type_name]
    assert matches, f'no {type_name} in the pipeline'
    for transform in matches:
        transform.update(updates)


def two_iterations(cfg: Config, work_dir: Path) -> None:
    """Turn ``cfg`` into a 2-iteration training run without validation or checkpoints."""
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
    # The visualizer is a named global instance: a fresh name per run, or the second run of
    # this process would write its scalars into the first run's folder. The same holds for the
    # message hub, named after the experiment (by default file name + timestamp in seconds).
    cfg.visualizer.name = f'visualizer_{work_dir.name}'
    cfg.experiment_name = f'run_{work_dir.name}'


def shrink_segmentor(network: dict) -> None:
    """Narrow a DeepLabV3+ R18 or SegFormer MiT-B0 config in place; no pretrained weights."""
    network.pretrained = None
    network.data_preprocessor.size = (64, 80)
    network.backbone.init_cfg = None
    if network.backbone.type == 'MixVisionTransformer':
        network.backbone.embed_dims = MIT_WIDTH
        network.decode_head.update(in_channels=[MIT_WIDTH * h for h in (1, 2, 5, 8)],
                                   channels=4 * MIT_WIDTH)
        return
    network.backbone.update(base_channels=BASE, stem_channels=BASE)
    network.decode_head.update(in_channels=BASE * 8, c1_in_channels=BASE, c1_channels=BASE,
                               channels=NYU_WIDTH)
    network.auxiliary_head.update(in_channels=BASE * 4, channels=BASE)


def tiny_nyu(config: str, root: str, work_dir: Path) -> Config:
    cfg = Config.fromfile(str(REPO / config))
    cfg.train_dataloader.dataset.data_root = root
    pipeline = cfg.train_dataloader.dataset.pipeline
    set_transform(pipeline, 'mmseg.RandomResize', scale=(80, 64))
    set_transform(pipeline, 'mmseg.RandomCrop', crop_size=(64, 80))
    if 'student' not in cfg.model:  # a unimodal model
        shrink_segmentor(cfg.model)
        two_iterations(cfg, work_dir)
        return cfg
    shrink_segmentor(cfg.model.student)
    shrink_segmentor(cfg.model.teacher)
    cfg.model.in_channels = cfg.model.teacher.decode_head.channels
    if cfg.model.get('student_connector'):
        cfg.model.student_connector.update(in_channels=NYU_WIDTH,
                                           out_channels=cfg.model.in_channels)
    cfg.model.teacher_ckpt = None
    two_iterations(cfg, work_dir)
    return cfg


def tiny_cremad(config: str, root: str, work_dir: Path) -> Config:
    cfg = Config.fromfile(str(REPO / config))
    cfg.train_dataloader.dataset.data_root = root
    set_transform(cfg.train_dataloader.dataset.pipeline, 'FramesRandomResizedCrop', scale=32)
    model = cfg.model
    for resnet, head in ((model.teacher.backbone, model.teacher.head),
                         (model.student.backbone.backbone, model.student.head)):
        if resnet.type.endswith('ResNet'):
            resnet.update(base_channels=BASE, stem_channels=BASE)
            head.in_channels = BASE * 8
        else:  # MobileNetV2 0.25x: still 1280 channels at the end
            resnet.widen_factor = 0.25
    model.in_channels = BASE * 8
    if model.get('student_connector'):
        model.student_connector.out_channels = BASE * 8
    model.teacher_ckpt = None
    two_iterations(cfg, work_dir)
    return cfg


def distill_keys(record: dict) -> set:
    return {k for k in record if 'loss' in k and not k.startswith('student.') and k != 'loss'}


def train(cfg: Config) -> tuple[Runner, list, set]:
    """Train with the Runner; return it, the logged records and the distillation keys."""
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = next(Path(cfg.work_dir).glob('*/vis_data/scalars.json'))
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    assert [r['iter'] for r in records] == [1, 2]
    for record in records:
        assert all(torch.isfinite(torch.tensor(v)) for k, v in record.items() if 'loss' in k)
    keys = [distill_keys(r) for r in records]
    assert keys[0] == keys[1]
    return runner, records, keys[0]


def train_steps(cfg: Config) -> tuple[torch.nn.Module, set]:
    """Two ``train_step`` calls of the config's model, dataloader and optimizer wrapper."""
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    model.init_weights()
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {k: v.detach().clone() for k, v in model.student.named_parameters()}
    model.train()
    batches = iter(loader)
    logs = [model.train_step(next(batches), optim_wrapper) for _ in range(2)]
    for log in logs:
        assert all(torch.isfinite(v) for v in log.values()), log
    assert any(not torch.equal(v, before[k]) for k, v in model.student.named_parameters())
    keys = [distill_keys(log) for log in logs]
    assert keys[0] == keys[1]
    return model, keys[0]


def check_table_ablation(model: torch.nn.Module, name: str) -> None:
    if name.startswith('cutoff'):
        assert model.decoupler.cutoff == int(name[-3:]) / 100
    if name == 'no_scale':
        assert not any(loss.standardize for loss in model.band_losses.values())
    if name == 'no_log':
        assert model.band_losses['high'].mode == 'mse'


@pytest.mark.parametrize('config', NYU_ABLATIONS)
def test_nyu_ablation_trains_and_logs_its_terms(config, nyu_root, tmp_path):
    model, keys = train_steps(tiny_nyu(config, nyu_root, tmp_path))
    name = config.rsplit('nyu_depth_to_rgb_', 1)[1][:-3]
    assert keys == EXPECTED_KEYS[name]
    check_table_ablation(model, name)


@pytest.mark.parametrize('config', CREMAD_ABLATIONS)
def test_cremad_ablation_trains_and_logs_its_terms(config, cremad_root, tmp_path):
    model, keys = train_steps(tiny_cremad(config, cremad_root, tmp_path))
    name = config.rsplit('cremad_audio_to_visual_', 1)[1][:-3]
    assert keys == EXPECTED_KEYS[name]
    check_table_ablation(model, name)


@pytest.mark.parametrize('config', NYU_OPEN_QUESTIONS)
def test_nyu_open_question_config_trains_with_the_runner(config, nyu_root, tmp_path):
    runner, records, keys = train(tiny_nyu(config, nyu_root, tmp_path))
    name = config.rsplit('nyu_depth_to_rgb_', 1)[1][:-3]
    assert keys == EXPECTED_KEYS[name]
    model = runner.model
    if name == 'learnable_cutoff':
        # The hook logged the cutoff and annealed the temperature to its final value.
        assert 0.0 < records[-1]['decoupler/cutoff'] < 1.0
        assert records[-1]['decoupler/temperature'] == pytest.approx(0.01)
        assert type(model.decoupler).__name__ == 'LearnableFrequencyDecoupler'
        assert model.decoupler.cutoff_logit.requires_grad
    if name == 'multiband4':
        assert model.decoupler.band_names == ('band0', 'band1', 'band2', 'band3')
    if name == 'spatial':
        assert type(model.decoupler).__name__ == 'SpatialFrequencyDecoupler'
        assert model.band_losses['low'].centre  # spatial bands keep their channel mean


def test_segformer_teacher_config_trains(nyu_root, tmp_path):
    cfg = tiny_nyu('configs/mixing/nyu_segformer_depth_unimodal.py', nyu_root, tmp_path)
    runner, _, _ = train(cfg)
    assert type(runner.model.backbone).__name__ == 'MixVisionTransformer'


def test_segformer_depth_to_deeplabv3plus_rgb_distils_through_a_projection(nyu_root, tmp_path):
    cfg = tiny_nyu('configs/mixing/nyu_segformer_depth_to_deeplabv3plus_rgb.py', nyu_root,
                   tmp_path)
    runner, _, keys = train(cfg)
    assert keys == FULL
    model = runner.model
    assert type(model.teacher.decode_head).__name__ == 'SegformerHead'
    assert type(model.student.decode_head).__name__ == 'DepthwiseSeparableASPPHead'
    assert model.student_connector.fc.weight.shape == (4 * MIT_WIDTH, NYU_WIDTH)
    # The teacher checkpoint of the unimodal SegFormer config loads strictly into the teacher.
    # (full-size configs, as written).
    configs = REPO / 'configs' / 'mixing'
    init_default_scope('fdkd_mm')
    unimodal_cfg = Config.fromfile(str(configs / 'nyu_segformer_depth_unimodal.py'))
    unimodal = MODELS.build(unimodal_cfg.model)
    teacher = build_scoped(Config.fromfile(  # 'mmseg.EncoderDecoder': a scope prefix
        str(configs / 'nyu_segformer_depth_to_deeplabv3plus_rgb.py')).model.teacher)
    layout = {k: v.shape for k, v in unimodal.state_dict().items()}
    assert layout == {k: v.shape for k, v in teacher.state_dict().items()}


def test_mobilenetv2_student_on_cremad(cremad_root, tmp_path):
    cfg = tiny_cremad('configs/mixing/cremad_audio_to_mobilenetv2_visual.py', cremad_root,
                      tmp_path)
    runner, _, keys = train(cfg)
    assert keys == FULL
    model = runner.model
    assert type(model.student.backbone.backbone).__name__ == 'MobileNetV2'
    assert model.student_connector.fc.weight.shape == (BASE * 8, 1280)
