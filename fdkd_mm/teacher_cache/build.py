"""Run a frozen teacher once over a dataset and store its recorded tensors (a teacher cache).

The teacher is the one a live run of the config would use: its network is built from the
config's ``model.teacher`` and loaded from ``teacher_ckpt`` with the checks of training, and its
input goes through the training pipeline's own (deterministic) teacher transforms and the
teacher's own data preprocessor, as a training step feeds it. Every recorder's tensor is pooled
as the recorder asks and stored per sample, keyed by dataset index. Batches have the training
batch size (the last one padded by repeating its final sample), so each sample's output is the
one a live step at that batch size computes, bit for bit on the same device.
"""
import datetime
import os.path as osp
from collections.abc import Mapping, Sequence
from typing import Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from torch import nn

import fdkd_mm
from fdkd_mm.teacher_cache.cached import check_cacheable
from fdkd_mm.teacher_cache.inputs import (data_info_keys, input_keys, input_record,
                                          teacher_loader_pipeline)
from fdkd_mm.recording.identity import teacher_identity
from fdkd_mm.recording.teacher_pass import TeacherCheck, build_network, ordered_loader, record
from fdkd_mm.teacher_cache.manifest import FORMAT, VERSION, TeacherCacheError, dataset_record
from fdkd_mm.teacher_cache.store import TeacherCacheWriter

#: Split name → dataloader of the config whose dataset it caches.
SPLITS = {'train': 'train_dataloader', 'val': 'val_dataloader', 'test': 'test_dataloader'}


def default_out_dir(teacher_ckpt: str) -> str:
    """``work_dirs/teacher_cache/<teacher run>_<checkpoint>``: one cache per teacher."""
    run = osp.basename(osp.dirname(osp.abspath(teacher_ckpt)))
    return osp.join('work_dirs', 'teacher_cache',
                    f'{run}_{osp.splitext(osp.basename(teacher_ckpt))[0]}')


def select_recorders(model_cfg: Mapping, wanted: Union[str, Sequence[str]] = 'used'
                     ) -> dict[str, dict]:
    """The teacher recorders to cache.

    Args:
        model_cfg: The distiller config.
        wanted: ``'used'`` (the ones the config's losses map), ``'all'`` (every teacher
            recorder the config offers) or a list of names.

    Returns:
        Name → recorder config (with ``pool``).
    """
    from fdkd_mm.models.distillers.mappings import used_names
    offered = dict(model_cfg.get('teacher_recorders') or {})
    if wanted == 'all':
        names = list(offered)
    elif wanted == 'used':
        mappings = model_cfg.get('loss_forward_mappings') or {}
        names = sorted(used_names(mappings)[0].get('teacher', ()))
        if not names:
            raise TeacherCacheError('the config\'s losses read no teacher tensor: nothing to '
                                    'cache')
    else:
        names = list(wanted)
    unknown = [name for name in names if name not in offered]
    if unknown:
        raise TeacherCacheError(f'teacher recorders {unknown} are not offered by the config; '
                                f'valid: {sorted(offered)}')
    return {name: dict(offered[name]) for name in names}


def load_teacher(model_cfg: Mapping, device: torch.device) -> nn.Module:
    """The distiller config's frozen teacher network, loaded as in a live run.

    Raises:
        ValueError: No teacher config, a trainable teacher (DML, C2KD) or teacher autocast.
        FileNotFoundError: ``teacher_ckpt`` is not a file.
        TeacherCacheError: The teacher's data preprocessor applies batch augments.
    """
    check_cacheable(model_cfg.get('teacher'), model_cfg.get('teacher_trainable', False),
                    model_cfg.get('teacher_autocast'))
    checkpoint = model_cfg.get('teacher_ckpt')
    if not checkpoint or not osp.isfile(checkpoint):
        raise FileNotFoundError(f'model.teacher_ckpt {checkpoint!r} is not a file: a teacher '
                                'cache holds the outputs of a trained teacher')
    network_cfg = dict(model_cfg['teacher'])
    keys = input_keys(model_cfg['teacher_input'])
    if model_cfg.get('data_preprocessor') is not None:
        # The distiller's own preprocessors of the teacher's modalities, as a live run uses them.
        preprocessors = model_cfg['data_preprocessor']['preprocessors']
        network_cfg['data_preprocessor'] = (
            preprocessors[keys[0]] if len(keys) == 1 else dict(
                type='fdkd_mm.MultiModalDataPreprocessor', label_modality=keys[0],
                preprocessors={key: preprocessors[key] for key in keys}))
    # A fusion teacher's run records its modalities as 'image+audio', as a live teacher checks.
    teacher = build_network(
        network_cfg, checkpoint, device,
        TeacherCheck(input_record(keys), model_cfg.get('allow_teacher_mismatch', False),
                     'model.allow_teacher_mismatch=True'))
    per_key = getattr(teacher.data_preprocessor, 'preprocessors', None)
    for preprocessor in ([teacher.data_preprocessor] if per_key is None
                         else [teacher.data_preprocessor, *per_key.values()]):
        if getattr(preprocessor, 'batch_augments', None) is not None:
            raise TeacherCacheError('the teacher\'s data preprocessor applies batch augments '
                                    '(random mixing): its inputs change every epoch')
    return teacher


def _write_split(teacher: nn.Module, model_cfg: Mapping, recorders: dict[str, dict],
                 dataset_cfg: Mapping, where: str, store_dir: str, dtype: str, batch_size: int,
                 num_workers: int, overwrite: bool, progress: bool, extra: dict) -> str:
    """Write the store of one split: ``dataset_cfg``'s teacher transforms (checked to be
    deterministic; ``where`` names its pipeline) into ``store_dir``, ``extra`` added to the
    manifest; the other arguments as :func:`build_teacher_cache` takes them."""
    modality = model_cfg['teacher_input']
    modality = modality if isinstance(modality, str) else list(modality)
    pipeline = list(dataset_cfg['pipeline'])
    loader_pipeline, transforms = teacher_loader_pipeline(pipeline, modality, where)
    loader = ordered_loader(dict(dataset=dict(dataset_cfg, pipeline=loader_pipeline),
                                 batch_size=batch_size, num_workers=num_workers))
    dataset = loader.dataset
    identity = teacher_identity(input_record(modality), model_cfg['teacher'],
                                model_cfg['teacher_ckpt'], recorders, transforms)
    with TeacherCacheWriter(store_dir, len(dataset), dtype, overwrite) as writer:
        for batch in record(teacher, recorders, loader, training_step=True, pad_last=True,
                            progress='teacher cache' if progress else None):
            for name, value in batch.parameters.items():
                writer.write_parameter(name, value.cpu().numpy())
            # Keyed by each sample's own index: a bad sample the dataset replaced by the next
            # good one keeps no row (``written`` says so).
            indices = np.asarray([s.metainfo['sample_idx'] for s in batch.data_samples])
            for name, rows in batch.tensors.items():
                writer.write_rows(name, indices, rows.float().cpu().numpy())
        manifest = dict(
            format=FORMAT, version=VERSION, teacher=identity,
            recorders={name: {} for name in recorders},
            dataset=dataset_record(dataset, dataset_cfg, data_info_keys(pipeline, modality)),
            batch_size=batch_size, device=str(next(teacher.parameters()).device),
            created=datetime.datetime.now().isoformat(timespec='seconds'),
            versions=dict(fdkd_mm=fdkd_mm.__version__, torch=torch.__version__,
                          numpy=np.__version__),
            **extra)
        writer.finish(manifest)
    skipped = len(dataset) - int(writer.written.sum())
    print_log(f'teacher cache {store_dir}: {len(dataset) - skipped} samples x '
              f'{sorted(recorders)} ({dtype})'
              + (f', {skipped} bad samples skipped' if skipped else ''), logger='current')
    return store_dir


def build_teacher_cache(cfg: Config, out_dir: Optional[str] = None, dtype: str = 'fp32',
                        splits: Sequence[str] = ('train', ),
                        recorders: Union[str, Sequence[str]] = 'used',
                        batch_size: Optional[int] = None, num_workers: int = 0,
                        device: Optional[str] = None, overwrite: bool = False,
                        progress: bool = True) -> dict[str, str]:
    """Cache the frozen teacher of a distiller config over the given splits.

    Args:
        cfg: The distiller's config (as for training).
        out_dir: Cache root; default :func:`default_out_dir` of the teacher checkpoint.
        dtype: Storage precision of the rows, ``'fp16'`` or ``'fp32'``.
        splits: Any of ``'train'``, ``'val'``, ``'test'``.
        recorders: See :func:`select_recorders`.
        batch_size: Teacher batch size; default the training batch size.
        num_workers: Dataloader workers.
        device: Where the teacher runs (default CUDA if available).
        overwrite: Replace existing stores.
        progress: Show progress bars.

    Returns:
        Split → store directory.
    """
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model)
    unknown = sorted(set(splits) - set(SPLITS))
    if unknown:
        raise ValueError(f'unknown splits {unknown}; valid: {sorted(SPLITS)}')
    chosen = select_recorders(model_cfg, recorders)
    dataset_cfgs = {}
    for split in splits:
        loader = SPLITS[split]
        if not (cfg.get(loader) or {}).get('dataset'):
            raise TeacherCacheError(f'split {split!r}: the config has no {loader}.dataset')
        dataset_cfg = cfg[loader]['dataset']
        dataset_cfg = dataset_cfg.to_dict() if hasattr(dataset_cfg, 'to_dict') else dataset_cfg
        # Every input's transforms are checked before the teacher is loaded.
        teacher_loader_pipeline(list(dataset_cfg['pipeline']), model_cfg['teacher_input'],
                                f'{loader}.dataset.pipeline')
        dataset_cfgs[split] = dataset_cfg
    device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    teacher = load_teacher(model_cfg, device)
    out_dir = out_dir or default_out_dir(model_cfg['teacher_ckpt'])
    batch_size = batch_size or cfg.train_dataloader.batch_size
    stores = {}
    for split, dataset_cfg in dataset_cfgs.items():
        loader = SPLITS[split]
        stores[split] = _write_split(
            teacher, model_cfg, chosen, dataset_cfg, f'{loader}.dataset.pipeline',
            osp.join(out_dir, split), dtype=dtype, batch_size=batch_size,
            num_workers=num_workers, overwrite=overwrite, progress=progress,
            extra=dict(split=split, config=cfg.filename))
    return stores
