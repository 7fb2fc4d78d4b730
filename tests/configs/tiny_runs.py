"""Turn a real config into a seconds-long CPU run on synthetic data, changing only sizes.

Narrow ResNet-18s (base width 8, and every channel argument of the method's losses and
connectors mapped through the same widths), 32-pixel frames and images, 64x80 NYU crops, a
BERT of BERT-base's width with 12 tiny layers on a local vocabulary, no pretrained weights,
plain BN, no teacher checkpoint, two iterations without validation. Pipelines, losses and
wiring stay the config's own, so a wrong recorder path, width or mapping fails here.
"""
import json
from pathlib import Path
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from fdkd_mm.models.zoo import resolve_model_cfg

REPO = Path(__file__).resolve().parents[2]
BASE = 8
# Full ResNet-18 widths -> the narrow network's (stage2/3/4, i.e. feat 512, proxy 256); the
# widths of MobileNetV2 (96, 160, 1280), MobileNetV3-Small (576) and BERT (768), which are
# not narrowed, stay.
RESNET_WIDTHS = {128: 2 * BASE, 256: 4 * BASE, 512: 8 * BASE, 1024: 16 * BASE,  # 1024: 2 x 512
                 96: 96, 160: 160, 576: 576, 768: 768, 1280: 1280}
# BERT-base's width (the configs' channel numbers stay true) with 12 minimal layers: the
# recorders name layers 9-11.
TINY_BERT = dict(model_type='bert', vocab_size=14, hidden_size=768, num_hidden_layers=12,
                 num_attention_heads=1, intermediate_size=8, max_position_embeddings=32)
# By type name without scope (configs write ours as fdkd_mm.X, others as mmseg.X, or plain).
SMALL = {'FramesRandomResizedCrop': dict(scale=32), 'FramesResize': dict(scale=32),
         'RandomResizedCrop': dict(scale=32), 'ResizeEdge': dict(scale=36),
         'CenterCrop': dict(crop_size=32),
         'RandomResize': dict(scale=(80, 64)), 'RandomCrop': dict(crop_size=(64, 80))}


def follow_widths(node, widths: dict[int, int], where: str) -> None:
    """Rewrite every ``*channels`` argument below ``node`` through ``widths`` (in place)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith('channels') and value is not None:
                values = list(value) if isinstance(value, (list, tuple)) else [value]
                unknown = [v for v in values if v not in widths]
                assert not unknown, (f'{where}.{key}={value}: not a width of the networks '
                                     f'({sorted(widths)}); write it with the pair variables')
                node[key] = ([widths[v] for v in values] if isinstance(value, (list, tuple))
                             else widths[value])
            else:
                follow_widths(value, widths, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for item in node:
            follow_widths(item, widths, where)


def shrink_network(network: dict) -> bool:
    """Shrink one network config in place; True if it is a narrowed ResNet."""
    network.pop('pretrained', None)
    if 'backbones' in network:  # a FusionClassifier: every branch, the fusion and the head
        narrowed = [shrink_backbone(backbone) for backbone in network.backbones.values()]
        if any(narrowed):  # small branches (MST-Distill's CNNs) keep their widths
            follow_widths(network.fusion, RESNET_WIDTHS, 'fusion')
            network.head.in_channels = RESNET_WIDTHS[network.head.in_channels]
        return any(narrowed)
    backbone = network.backbone
    backbone.pop('init_cfg', None)
    if backbone.type.endswith('FrameFoldingBackbone'):
        backbone = backbone.backbone
    if backbone.type.endswith('HFTextEncoder'):
        backbone.update(pretrained=None, config=dict(TINY_BERT))
        return False
    if network.get('data_preprocessor') and 'size' in network.data_preprocessor:
        network.data_preprocessor.size = (64, 80)  # a segmentor: full width, small crops
        return False
    if backbone.type.endswith('ResNet') and backbone.get('depth') == 18:
        backbone.update(base_channels=BASE, stem_channels=BASE)
        network.head.in_channels = 8 * BASE
        return True
    return False  # MobileNetV2: small enough at 32 pixels


def shrink_backbone(backbone: dict) -> bool:
    """Narrow one ResNet-18 backbone config (inside a frame-folding wrapper too) in place."""
    backbone.pop('init_cfg', None)
    if backbone.type.endswith('FrameFoldingBackbone'):
        backbone = backbone.backbone
    if backbone.type.endswith('ResNet') and backbone.get('depth') == 18:
        backbone.update(base_channels=BASE, stem_channels=BASE)
        return True
    return False


def shrink_dataset(dataset: dict, data_roots: dict, tokenizer_dir: str) -> None:
    """Point a dataset config (below wrappers such as DisjointPartDataset) at the synthetic
    data and shrink its transforms, in place."""
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset
    dataset.data_root = data_roots[dataset.type.split('.')[-1]]
    for transform in dataset.pipeline:
        transform.update(SMALL.get(transform.type.rsplit('.', 1)[-1], {}))
        if transform.type.endswith('TokenizeText'):
            transform.update(tokenizer_path=tokenizer_dir, max_length=16)


def tiny_config(config: str, data_roots: dict, tokenizer_dir: str, work_dir: Path,
                overrides: Optional[dict] = None) -> Config:
    """The config as a 2-iteration CPU run on synthetic data, without validation."""
    cfg = Config.fromfile(str(REPO / config))
    if overrides:
        cfg.merge_from_dict(overrides)
    shrink_dataset(cfg.train_dataloader.dataset, data_roots, tokenizer_dir)
    roles = [role for role in ('student', 'teacher') if role in cfg.model]
    for role in roles:  # zoo models by cfg_path: shrink the model dict they stand for
        if cfg.model[role] is not None and 'cfg_path' in cfg.model[role]:
            cfg.model[role] = Config(dict(network=resolve_model_cfg(
                cfg.model[role].to_dict()))).network
    networks = [cfg.model[role] for role in roles] or [cfg.model]
    networks = [network for network in networks if network is not None]  # teacher-free
    for teacher in (cfg.model.get('teachers') or {}).values():  # several named teachers
        networks.append(teacher.network)
        teacher.ckpt = None
    if cfg.get('teacher_bank') is not None:  # the teacher a bank is built from
        networks.append(cfg.teacher_bank.teacher)
    if cfg.get('teacher_dataloader') is not None:  # the teacher's own data (bank or stream)
        shrink_dataset(cfg.teacher_dataloader.dataset, data_roots, tokenizer_dir)
        cfg.teacher_dataloader.update(batch_size=4, num_workers=0, persistent_workers=False)
    narrowed = [shrink_network(network) for network in networks]
    if any(narrowed):
        for part in ('connectors', 'distill_losses'):
            follow_widths(cfg.model.get(part), RESNET_WIDTHS, f'model.{part}')
    if 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = None  # no teacher run: the teacher keeps its initialisation
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
    # The visualizer and the message hub are named global instances: fresh names per run (the
    # hub is named after the experiment, by default file name + a timestamp in seconds).
    cfg.visualizer.name = f'visualizer_{work_dir.parent.name}_{work_dir.name}'
    cfg.experiment_name = f'{Path(config).stem}_{work_dir.parent.name}'
    return cfg


def train(cfg: Config, hooks=()) -> tuple[Runner, list[dict]]:
    """Train with MMEngine's Runner, as tools/train.py does; return it and the 2 log records,
    each checked to carry finite losses."""
    runner = Runner.from_cfg(cfg)
    for hook in hooks:
        runner.register_hook(hook, priority='LOWEST')
    runner.train()
    scalars = next(Path(cfg.work_dir).glob('*/vis_data/scalars.json'))
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    assert [r['iter'] for r in records] == [1, 2]
    for record in records:
        losses = {k: v for k, v in record.items() if 'loss' in k}
        assert all(torch.isfinite(torch.tensor(v)) for v in losses.values()), losses
    return runner, records


def distill_keys(record: dict) -> set:
    """The logged loss keys that are not task losses or the total."""
    return {k for k in record if 'loss' in k and k != 'loss'
            and not k.startswith(('student.', 'teacher.'))}
