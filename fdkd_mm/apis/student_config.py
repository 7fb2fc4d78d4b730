"""The config an exported student is deployed with, written beside its weights.

Two kinds, chosen by what the student reads:

* ``'mmseg'`` / ``'mmpretrain'``: a student on images (NYU RGB, CrisisMMD image) built only
  from that toolbox's types gets a *plain* config of the toolbox: ``default_scope`` of the
  toolbox, unprefixed toolbox types, the image pipeline ending in ``PackSegInputs`` /
  ``PackInputs``, class names (and palette) in ``metainfo``, a visualizer and a visualization
  hook. ``mmseg.apis.init_model`` / ``inference_model`` / ``MMSegInferencer`` and mmpretrain's
  ``get_model`` / ``ImageClassificationInferencer`` use it without fdkd_mm installed.
* ``'fdkd_mm'``: students on modalities the toolboxes cannot read (audio, frame clips, depth,
  text) or built with fdkd_mm types get a unimodal fdkd_mm config (``custom_imports``), its
  test loader the distiller's dataset with the student's pipeline, and a ``deploy`` entry
  (modality, input key, task) for :class:`fdkd_mm.apis.StudentInferencer`.
"""
import copy
from typing import Any, Optional

from mmengine.config import Config

from fdkd_mm.models.zoo import resolve_model_cfg
from fdkd_mm.datasets.pipeline_split.student import short_type, split_student_pipeline, unimodal_packer

TOOLBOXES = ('mmseg', 'mmpretrain')
#: The toolbox's own packing transform, visualizer and visualization hook.
PLAIN_PARTS = {
    'mmseg': dict(pack=dict(type='PackSegInputs'), task='segmentation',
                  visualizer=dict(type='SegLocalVisualizer', name='visualizer'),
                  hook=dict(type='SegVisualizationHook')),
    'mmpretrain': dict(pack=dict(type='PackInputs'), task='classification',
                       visualizer=dict(type='UniversalVisualizer', name='visualizer'),
                       hook=dict(type='VisualizationHook', enable=False)),
}


def toolbox_of(model: dict) -> Optional[str]:
    """``'mmseg'`` / ``'mmpretrain'`` for a model of that toolbox, else ``None``."""
    scope = model.get('_scope_') or str(model.get('type', '')).partition('.')[0]
    return scope if scope in TOOLBOXES else None


def _walk_types(node: Any):
    if isinstance(node, dict):
        if isinstance(node.get('type'), str):
            yield node['type']
        for value in node.values():
            yield from _walk_types(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _walk_types(value)


def _without_pretrained_init(node: Any) -> Any:
    """Drop ``Pretrained`` init configs: the exported checkpoint holds every weight.

    A segmentor's own ``pretrained`` (mmseg's backbone initialisation) goes too; nested
    ``pretrained`` arguments stay, as some modules build their architecture from them (a
    Hugging Face text encoder reads its config from that directory).
    """
    node = _without_pretrained_init_cfg(node)
    if isinstance(node, dict) and isinstance(node.get('pretrained'), str):
        node['pretrained'] = None
    return node


def _without_pretrained_init_cfg(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _without_pretrained_init_cfg(value) for key, value in node.items()
                if not (key == 'init_cfg' and _is_pretrained_init(value))}
    if isinstance(node, (list, tuple)):
        return type(node)(_without_pretrained_init_cfg(value) for value in node)
    return node


def _is_pretrained_init(init_cfg: Any) -> bool:
    inits = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    return any(isinstance(i, dict) and i.get('type') == 'Pretrained' for i in inits)


def _unscoped(node: Any, toolbox: str) -> Any:
    """Strip ``_scope_`` and the ``<toolbox>.`` prefix of types, for the toolbox's own scope."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == '_scope_':
                continue
            if key == 'type' and isinstance(value, str) and value.startswith(toolbox + '.'):
                value = value[len(toolbox) + 1:]
            out[key] = _unscoped(value, toolbox)
        return out
    if isinstance(node, (list, tuple)):
        return type(node)(_unscoped(value, toolbox) for value in node)
    return node


def _nyu_as_base_seg_dataset(dataset: dict) -> dict:
    """NYUDepthV2Dataset's RGB files and labels as mmseg's ``BaseSegDataset`` reads them."""
    split = dataset.get('split', 'train')
    prefix = dict(dataset.get('data_prefix') or {})
    return dict(type='BaseSegDataset', data_root=dataset.get('data_root'),
                ann_file=dataset.get('ann_file', f'{split}.txt'),
                data_prefix=dict(img_path=prefix.get('img_path', f'{split}/rgb'),
                                 seg_map_path=prefix.get('seg_map_path', f'{split}/labels_40')),
                img_suffix=dataset.get('img_suffix', '.png'),
                seg_map_suffix=dataset.get('seg_map_suffix', '.png'),
                reduce_zero_label=dataset.get('reduce_zero_label', True))


#: Our datasets → their image files as the toolbox's generic dataset reads them.
PLAIN_DATASETS = {'NYUDepthV2Dataset': _nyu_as_base_seg_dataset}


def _plain_dataset(dataset: dict, toolbox: str) -> dict:
    convert = PLAIN_DATASETS.get(short_type(dataset))
    if convert is not None:
        return convert(dataset)
    # No plain equivalent of the files (CrisisMMD's tsv splits): enough for the inferencers,
    # which read the pipeline and the metainfo; evaluate with the fdkd_mm config instead.
    generic = dict(mmseg='BaseSegDataset', mmpretrain='CustomDataset')[toolbox]
    return dict(type=generic, lazy_init=True)


def _test_loader(cfg: Config) -> dict:
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    if not loader or 'dataset' not in loader:
        raise ValueError('the distiller config has no test_dataloader (or val_dataloader) '
                         'with a dataset: the student\'s pipeline comes from it')
    return copy.deepcopy(loader.to_dict() if hasattr(loader, 'to_dict') else loader)


def _plain_loader(dataset: dict) -> dict:
    return dict(batch_size=1, num_workers=2, persistent_workers=False,
                sampler=dict(type='DefaultSampler', shuffle=False), dataset=dataset)


def deploy_config(cfg: Config, dataset_meta: dict,
                  role: str = 'student') -> tuple[Config, str]:
    """The config the exported network ``role`` of ``cfg`` is deployed with.

    Args:
        cfg: The distiller's config (``model.<role>``, ``model.<role>_input``, a test or
            val loader whose pipeline packs that modality).
        dataset_meta: Class names (and, for segmentation, the palette) of the dataset.
        role: ``'student'``, or ``'teacher'`` for a jointly trained teacher (DML, C2KD).

    Returns:
        ``(config, kind)``, ``kind`` one of ``'mmseg'``, ``'mmpretrain'``, ``'fdkd_mm'``.
    """
    model_cfg = cfg.model
    modality = model_cfg.get(f'{role}_input')
    if modality is None or role not in model_cfg:
        raise ValueError(f'the config\'s model has no {role} / {role}_input: is it a '
                         'distiller config?')
    network = model_cfg[role]
    student = _without_pretrained_init(copy.deepcopy(resolve_model_cfg(
        network.to_dict() if hasattr(network, 'to_dict') else network)))
    loader = _test_loader(cfg)
    split = split_student_pipeline(loader['dataset'].get('pipeline'), modality)
    toolbox = toolbox_of(student)
    if toolbox:
        # As MODELS.build: the prefixed model's unprefixed nested types build in its scope.
        student.setdefault('_scope_', toolbox)
    ours = [t for t in _walk_types(student) if t.startswith('fdkd_mm.')]
    from fdkd_mm.registry import TRANSFORMS
    our_transforms = [t['type'] for t in split.transforms
                      if short_type(t) in TRANSFORMS.module_dict]
    metainfo = {key: copy.deepcopy(dataset_meta[key]) for key in ('classes', 'palette')
                if dataset_meta.get(key) is not None}
    if toolbox and split.results_key == 'img' and not ours and not our_transforms:
        return _plain_config(cfg, student, split.transforms, loader, toolbox, metainfo), toolbox
    return _fdkd_config(cfg, student, split, loader, toolbox, metainfo), 'fdkd_mm'


def _plain_config(cfg: Config, student: dict, transforms: list, loader: dict, toolbox: str,
                  metainfo: dict) -> Config:
    parts = PLAIN_PARTS[toolbox]
    pipeline = _unscoped(transforms, toolbox) + [dict(parts['pack'])]
    dataset = dict(_plain_dataset(loader['dataset'], toolbox), metainfo=metainfo,
                   pipeline=pipeline)
    evaluator = _unscoped(copy.deepcopy(cfg.get('test_evaluator') or {}), toolbox)
    plain = dict(
        default_scope=toolbox,
        model=_unscoped(student, toolbox),
        metainfo=metainfo,
        test_pipeline=pipeline,
        test_dataloader=_plain_loader(dataset),
        test_cfg=dict(type='TestLoop'),
        visualizer=dict(parts['visualizer'], vis_backends=[dict(type='LocalVisBackend')]),
        default_hooks=dict(visualization=dict(parts['hook'])))
    if evaluator:
        plain['test_evaluator'] = evaluator
    return Config(plain)


def _fdkd_config(cfg: Config, student: dict, split, loader: dict, toolbox: Optional[str],
                 metainfo: dict) -> Config:
    pipeline = split.transforms + [unimodal_packer(split.packer, split.modality)]
    dataset = dict(loader['dataset'], pipeline=pipeline)
    loader = dict(loader, dataset=dataset)
    task = PLAIN_PARTS[toolbox]['task'] if toolbox else None
    deployed = dict(
        default_scope='fdkd_mm',
        custom_imports=dict(imports=['fdkd_mm'], allow_failed_imports=False),
        model=student,
        deploy=dict(modality=split.modality, input_key=split.input_key, task=task),
        metainfo=metainfo,
        test_pipeline=pipeline,
        test_dataloader=loader,
        test_cfg=dict(type='TestLoop'))
    for key in ('test_evaluator', 'visualizer'):
        if cfg.get(key):
            deployed[key] = copy.deepcopy(cfg[key])
    return Config(deployed)
