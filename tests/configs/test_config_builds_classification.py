"""The Table 2 classification configs (CREMA-D, AVE, VGGSound, CrisisMMD) build and agree.

Every unimodal ("Uni") and FD-CMKD config of the four datasets parses, builds its model and its
pipelines, and runs one forward pass on inputs shaped like its modalities, which checks recorder
paths, feature widths and connectors for real (not just the numbers written in the configs).
The settings are checked against the method (docs/method.md) and against each other: an FD
config's teacher is
its teacher config's model (so ``teacher_ckpt`` loads strictly), its student and schedule are
the student modality's Uni ones (so the Uni baseline is the fair comparison).

Only what needs the network or earlier runs is replaced: teacher checkpoints, the local
BERT-base weights (a BERT of the same width, one layer, from a config) and pretrained
``init_cfg`` (ImageNet MobileNetV2).
"""
import itertools
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from fdkd_mm.registry import MODELS
from fdkd_mm.reproduction.paper_tables import config_name, network
from fdkd_mm.registry import DATASETS, METRICS, TRANSFORMS

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
MODALITIES = dict(cremad=('audio', 'visual'), ave=('audio', 'visual'),
                  vggsound=('audio', 'visual'), crisismmd=('text', 'image'))
NUM_CLASSES = dict(cremad=6, ave=28, vggsound=50, crisismmd=2)  # the datasets' class counts
# Feature width of each modality's encoder: ResNet-18, BERT-base, MobileNetV2 (1.0x).
WIDTH = dict(audio=512, visual=512, text=768, image=1280)
TEACHER_CONFIGS = sorted(p for dataset in MODALITIES
                         for p in (CONFIG_ROOT / 'uni').glob(f'uni_*_{dataset}.py'))
FD_CONFIGS = sorted(p for dataset in MODALITIES
                    for p in (CONFIG_ROOT / 'fdkd').glob(f'fdkd_*_{dataset}.py'))
FD_LOSS_KEYS = {
    'student.loss', 'distill.loss_low', 'distill.loss_high',
    'align.loss_low_student', 'align.loss_low_teacher',
    'align.loss_high_student', 'align.loss_high_teacher',
    'aux.loss_low', 'aux.loss_high',
}
# BERT-base's width with a single layer: the distilled [CLS] vector keeps its 768 channels.
BERT_BASE_WIDTH = dict(model_type='bert', vocab_size=100, hidden_size=768, num_hidden_layers=1,
                       num_attention_heads=12, intermediate_size=64,
                       max_position_embeddings=128)


def config_id(path: Path) -> str:
    return path.relative_to(CONFIG_ROOT).as_posix()


def parse_fd_name(path: Path) -> tuple[str, str, str]:
    """``fdkd_<arch>-<teacher>_<arch>-<student>_<dataset>.py`` → (dataset, teacher, student)."""
    _, teacher, student, dataset = path.stem.split('_')
    return dataset, teacher.rsplit('-', 1)[1], student.rsplit('-', 1)[1]


def parse_uni_name(path: Path) -> tuple[str, str]:
    """``uni_<arch>-<modality>_<dataset>.py`` → (dataset, modality)."""
    _, network, dataset = path.stem.split('_')
    return dataset, network.rsplit('-', 1)[1]


def teacher_config_path(dataset: str, modality: str) -> Path:
    return CONFIG_ROOT / 'uni' / f'uni_{network(dataset, modality)}_{dataset}.py'


def offline(cfg):
    """Drop teacher checkpoints, local BERT weights and pretrained init, recursively."""
    if isinstance(cfg, dict):
        cfg = {key: offline(value) for key, value in cfg.items()}
        if 'teacher_ckpt' in cfg:
            cfg['teacher_ckpt'] = None
        if str(cfg.get('type', '')).endswith('HFTextEncoder'):
            cfg.update(pretrained=None, config=dict(BERT_BASE_WIDTH))
        if isinstance(cfg.get('init_cfg'), dict) and cfg['init_cfg'].get('type') == 'Pretrained':
            cfg['init_cfg'] = None
        return cfg
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(offline(item) for item in cfg)
    return cfg


def build(cfg: Config) -> torch.nn.Module:
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    return MODELS.build(offline(cfg.model.to_dict()))


def fake_inputs(modality: str, cfg: Config, batch_size: int = 2) -> list[torch.Tensor]:
    """Per-sample inputs as the modality's packing transform makes them (small sizes)."""
    gen = torch.Generator().manual_seed(0)
    if modality == 'audio':
        return [torch.randn(1, 257, 64, generator=gen) for _ in range(batch_size)]
    if modality == 'visual':
        frames = cfg.num_frames  # the dataset config's T
        return [torch.randint(0, 256, (3, frames, 64, 64), generator=gen, dtype=torch.uint8)
                for _ in range(batch_size)]
    if modality == 'image':
        return [torch.randint(0, 256, (3, 64, 64), generator=gen, dtype=torch.uint8)
                for _ in range(batch_size)]
    ids = torch.randint(5, BERT_BASE_WIDTH['vocab_size'], (batch_size, 12), generator=gen)
    return [torch.stack([row, torch.ones_like(row)]) for row in ids]


def fake_samples(num_classes: int, batch_size: int = 2) -> list[DataSample]:
    return [DataSample().set_gt_label(i * (num_classes - 1)) for i in range(batch_size)]


@pytest.fixture(autouse=True)
def single_thread():
    """Tiny forward passes: threads only add overhead (and spin on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_every_modality_and_direction_has_a_config():
    assert {p.stem for p in TEACHER_CONFIGS} == {
        config_name('uni', dataset, modality)
        for dataset, modalities in MODALITIES.items() for modality in modalities}
    assert {p.stem for p in FD_CONFIGS} == {
        config_name('fdkd', dataset, student)
        for dataset, modalities in MODALITIES.items()
        for _, student in itertools.permutations(modalities)}


@pytest.mark.parametrize('path', TEACHER_CONFIGS + FD_CONFIGS,
                         ids=[config_id(p) for p in TEACHER_CONFIGS + FD_CONFIGS])
def test_pipelines_datasets_and_metric_resolve(path):
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.default_scope)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert DATASETS.get(dataset.type) is not None, dataset.type
        transforms = [TRANSFORMS.build(t) for t in dataset.pipeline]
        assert type(transforms[-1]).__name__.startswith('Pack')
        assert cfg[loader].batch_size == (64 if not path.stem.endswith('crisismmd') else 32)
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        assert evaluator.type == 'mmpretrain.Accuracy' and tuple(evaluator.topk) == (1, )
        assert METRICS.get(evaluator.type) is not None


@pytest.mark.parametrize('path', TEACHER_CONFIGS, ids=[config_id(p) for p in TEACHER_CONFIGS])
def test_teacher_config_builds_a_classifier_of_its_modality(path):
    cfg = Config.fromfile(str(path))
    dataset, modality = parse_uni_name(path)
    model = build(cfg)
    assert type(model).__name__ == 'ImageClassifier'
    model.eval()
    inputs = model.data_preprocessor(dict(inputs=fake_inputs(modality, cfg),
                                          data_samples=fake_samples(NUM_CLASSES[dataset])))
    with torch.no_grad():
        logits = model(inputs['inputs'], mode='tensor')
        features = model.extract_feat(inputs['inputs'])
    assert logits.shape == (2, NUM_CLASSES[dataset])
    assert features[-1].shape == (2, WIDTH[modality])


@pytest.mark.parametrize('path', FD_CONFIGS, ids=[config_id(p) for p in FD_CONFIGS])
def test_fd_config_builds_and_distils_at_the_true_feature_widths(path):
    cfg = Config.fromfile(str(path))
    dataset, teacher, student = parse_fd_name(path)
    assert (cfg.model.teacher_input, cfg.model.student_input) == (teacher, student)
    # The heads work at the teacher's width; a projection maps a narrower/wider student to it.
    assert cfg.model.distill_losses.loss_fd.in_channels == WIDTH[teacher]
    connector = cfg.model.connectors.student_feat
    if WIDTH[student] == WIDTH[teacher]:
        assert connector == dict(type='IdentityConnector')
    else:
        assert (connector.in_channels, connector.out_channels) == (WIDTH[student],
                                                                   WIDTH[teacher])
    distiller = build(cfg)
    assert type(distiller).__name__ == 'CrossModalDistiller'
    batch = dict(inputs={teacher: fake_inputs(teacher, cfg), student: fake_inputs(student, cfg)},
                 data_samples=fake_samples(NUM_CLASSES[dataset]))
    distiller.train()
    losses = distiller(**distiller.data_preprocessor(batch, True), mode='loss')
    assert set(losses) == FD_LOSS_KEYS
    assert all(math.isfinite(value.item()) for value in losses.values())
    # The recorded features: each encoder's full width; for the ResNets and MobileNetV2 the
    # post-activation output of the last stage (the tensor the authors' script distils: its
    # in-place ReLU overwrote the `pre_out` it named), so nothing is negative; BERT's [CLS]
    # vector has no activation after it. The visual network records folded frames.
    for role, modality in (('student', student), ('teacher', teacher)):
        group = distiller.student_recorders if role == 'student' else distiller.teacher_recorders
        feature = group.feature('feat')
        assert feature.shape[1] == WIDTH[modality], role
        frames = cfg.num_frames if modality == 'visual' else 1
        assert feature.shape[0] == 2 * frames, role
        if modality == 'text':
            assert feature.min() < 0, role
        else:
            assert feature.min() >= 0 and feature.max() > 0, f'{role} feature is not rectified'


@pytest.mark.parametrize('path', FD_CONFIGS, ids=[config_id(p) for p in FD_CONFIGS])
def test_fd_config_pairs_the_uni_models_and_schedules(path):
    """Teacher = its Uni config's model at that run's last checkpoint; student = the Uni model."""
    cfg = Config.fromfile(str(path))
    dataset, teacher, student = parse_fd_name(path)
    teacher_cfg = Config.fromfile(str(teacher_config_path(dataset, teacher)))
    student_cfg = Config.fromfile(str(teacher_config_path(dataset, student)))
    assert cfg.model.teacher.to_dict() == teacher_cfg.model.to_dict()
    assert cfg.model.student.to_dict() == student_cfg.model.to_dict()
    # The teacher run writes this checkpoint: its last epoch, on the checkpoint interval.
    last_epoch = teacher_cfg.train_cfg.max_epochs
    assert last_epoch % teacher_cfg.default_hooks.checkpoint.interval == 0
    assert cfg.model.teacher_ckpt == (f'work_dirs/{config_name("uni", dataset, teacher)}/'
                                      f'epoch_{last_epoch}.pth')
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'train_dataloader'):
        if key == 'train_dataloader':
            assert cfg[key].batch_size == student_cfg[key].batch_size
        else:
            assert cfg[key] == student_cfg[key], key
    # No model selection on the test split where val and test are the same split.
    val_split, test_split = ({k: v for k, v in cfg[loader].dataset.items() if k != 'pipeline'}
                             for loader in ('val_dataloader', 'test_dataloader'))
    same_split = val_split == test_split
    assert (cfg.default_hooks.checkpoint.save_best is None) == same_split


@pytest.mark.parametrize('path', FD_CONFIGS, ids=[config_id(p) for p in FD_CONFIGS])
def test_fd_config_states_the_method_defaults(path):
    """The method's defaults: cutoff 0.5, λ1 = λ2 = 1, head weights 1, every Table 4 switch on."""
    model = Config.fromfile(str(path)).model
    assert model.data_preprocessor is None
    assert {k: v.get('pool') for k, v in model.student_recorders.items() if k == 'feat'} == {
        'feat': 'avg' if parse_fd_name(path)[2] != 'text' else None}
    loss = model.distill_losses.loss_fd
    assert loss.type == 'FDCMKDLoss'
    assert loss.decoupler == dict(type='FrequencyDecoupler', cutoff=0.5)
    assert loss.low_loss == dict(type='FrequencyAlignLoss', mode='mse', loss_weight=1.0)
    assert loss.high_loss == dict(type='FrequencyAlignLoss', mode='log_mse', loss_weight=1.0)
    assert loss.shared_head == dict(type='SharedHead', loss_weight=1.0)
    assert loss.aux_head == dict(type='SharedHead', loss_weight=1.0)
    assert loss.ablation == dict(frequency=True, align=True, scale=True, log=True)
    assert loss.num_classes == NUM_CLASSES[parse_fd_name(path)[0]]


@pytest.mark.parametrize('path', [p for p in TEACHER_CONFIGS if 'crisismmd' not in p.name],
                         ids=lambda p: config_id(p))
def test_audio_visual_schedule_is_the_papers(path):
    """ResNet-18 from scratch, 100 epochs, batch 64, SGD momentum 0.9, lr 1e-2 poly(0.9) to
    1e-4 stepped per epoch."""
    cfg = Config.fromfile(str(path))
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.momentum) == ('SGD', 1e-2, 0.9)
    (scheduler, ) = cfg.param_scheduler
    assert scheduler.type == 'PolyLR' and scheduler.by_epoch
    assert not scheduler.get('convert_to_iter_based', False)
    assert (scheduler.eta_min, scheduler.power, scheduler.begin, scheduler.end) == (
        1e-4, 0.9, 0, 100)
    assert cfg.train_cfg.max_epochs == 100 and cfg.train_dataloader.batch_size == 64
    assert all(c.get('init_cfg') is None or c.init_cfg.get('type') != 'Pretrained'
               for c in (cfg.model.backbone, cfg.model.backbone.get('backbone') or {}))


def test_crisismmd_runs_twenty_epochs():
    for name in ('uni/uni_bert-text_crisismmd.py', 'fdkd/fdkd_mbv2-image_bert-text_crisismmd.py',
                 'uni/uni_mbv2-image_crisismmd.py', 'fdkd/fdkd_bert-text_mbv2-image_crisismmd.py'):
        assert Config.fromfile(str(CONFIG_ROOT / name)).train_cfg.max_epochs == 20, name
