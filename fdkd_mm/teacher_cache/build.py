"""Run a frozen teacher once over a dataset and store its recorded tensors (a teacher cache).

The teacher is the one a live run of the config would use: the config's distiller is built
and its teacher loaded from ``teacher_ckpt`` exactly as in training, and the teacher's input
goes through the training pipeline's own (deterministic) teacher transforms and the teacher's
own data preprocessor. Every recorder's tensor is pooled as the recorder asks and stored per
sample, keyed by dataset index. Batches have the training batch size (the last one padded by
repeating its final sample), so each sample's output is the one a live step at that batch
size computes, bit for bit on the same device.
"""
import copy
import datetime
import os.path as osp
from collections.abc import Mapping, Sequence
from typing import Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import print_log
from mmengine.registry import DATASETS, init_default_scope
from mmengine.utils import ProgressBar

import fdkd_mm
from fdkd_mm.registry import MODELS
from fdkd_mm.models.pooling import pool_recorded
from fdkd_mm.models.recorders import ParameterRecorder, RecorderGroup
from fdkd_mm.teacher_cache.cached import check_cacheable
from fdkd_mm.teacher_cache.checks import teacher_record
from fdkd_mm.teacher_cache.manifest import (FORMAT, VERSION, TeacherCacheError,
                                            dataset_record, plain, recorder_spec)
from fdkd_mm.teacher_cache.store import TeacherCacheWriter
from fdkd_mm.datasets.pipeline_split.student import split_student_pipeline, unimodal_packer
from fdkd_mm.datasets.pipeline_split.teacher import check_deterministic

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


def build_live_distiller(model_cfg: Mapping, device: torch.device):
    """The config's distiller with its teacher loaded as in a live run (no cache)."""
    cfg = copy.deepcopy(dict(model_cfg))
    cfg.pop('teacher_cache', None)
    check_cacheable(cfg.get('teacher'), cfg.get('teacher_trainable', False),
                    cfg.get('teacher_autocast'))
    checkpoint = cfg.get('teacher_ckpt')
    if not checkpoint or not osp.isfile(checkpoint):
        raise FileNotFoundError(f'model.teacher_ckpt {checkpoint!r} is not a file: a teacher '
                                'cache holds the outputs of a trained teacher')
    distiller = MODELS.build(cfg).to(device).eval()
    preprocessor = distiller.data_preprocessor.preprocessors[distiller.teacher_input]
    if getattr(preprocessor, 'batch_augments', None) is not None:
        raise TeacherCacheError('the teacher\'s data preprocessor applies batch augments '
                                '(random mixing): its inputs change every epoch')
    return distiller


def padded_batches(num_samples: int, batch_size: int) -> list[list[int]]:
    """Index batches of ``batch_size``; the last one padded by repeating its final index."""
    batches = [list(range(start, min(start + batch_size, num_samples)))
               for start in range(0, num_samples, batch_size)]
    if batches and len(batches[-1]) < batch_size:
        batches[-1] += [batches[-1][-1]] * (batch_size - len(batches[-1]))
    return batches


def _teacher_dataset(dataset_cfg: Mapping, path: list, packer: dict, modality: str):
    cfg = copy.deepcopy(dict(dataset_cfg))
    single = unimodal_packer(packer, modality)
    single['meta_keys'] = ('sample_idx', )
    cfg['pipeline'] = path + [single]
    return DATASETS.build(cfg)


def cache_split(distiller, teacher: dict, recorders: dict[str, dict], dataset_cfg: Mapping,
                where: str, store_dir: str, dtype: str = 'fp32', batch_size: int = 32,
                num_workers: int = 0, overwrite: bool = False, progress: bool = True,
                extra: Optional[dict] = None) -> str:
    """Write the store of one split.

    Args:
        distiller: From :func:`build_live_distiller`.
        teacher: The manifest's ``teacher`` entry (:func:`~fdkd_mm.teacher_cache.checks.
            teacher_record` of the distiller's teacher config and checkpoint).
        recorders: From :func:`select_recorders`.
        dataset_cfg: The split's dataset config (its pipeline supplies the teacher's
            transforms, checked to be deterministic).
        where: The pipeline's config key, for messages.
        store_dir: Where the store goes (``<root>/<split>``).
        dtype: ``'fp16'`` or ``'fp32'``.
        batch_size: Teacher batch size (the run's, for bit-identical outputs).
        num_workers: Dataloader workers.
        overwrite: Replace an existing store.
        progress: Show a progress bar.
        extra: More manifest fields (split, config file, ...).

    Returns:
        The store directory.
    """
    modality = distiller.teacher_input
    pipeline = list(dataset_cfg['pipeline'])
    split = split_student_pipeline(pipeline, modality)
    path = check_deterministic(pipeline, modality, where, split)
    dataset = _teacher_dataset(dataset_cfg, path, split.packer, modality)
    device = next(distiller.teacher.parameters()).device
    specs = {name: recorder_spec(cfg) for name, cfg in recorders.items()}
    pools = {name: cfg.get('pool') for name, cfg in recorders.items()}
    group = RecorderGroup(distiller.teacher,
                          {n: {k: v for k, v in c.items() if k != 'pool'}
                           for n, c in recorders.items()}, role='teacher')
    preprocessor = distiller.data_preprocessor.preprocessors[modality]
    loader = torch.utils.data.DataLoader(
        dataset, batch_sampler=padded_batches(len(dataset), batch_size),
        num_workers=num_workers, collate_fn=pseudo_collate)
    bar = ProgressBar(len(dataset)) if progress else None
    with TeacherCacheWriter(store_dir, len(dataset), dtype, overwrite) as writer:
        done = set()
        for batch in loader:
            samples = batch['data_samples']
            indices = np.asarray([s.metainfo['sample_idx'] for s in samples], dtype=np.int64)
            # As MultiModalDataPreprocessor feeds a non-label modality: metainfo only.
            stand_ins = [type(s)(metainfo=s.metainfo) for s in samples]
            data = preprocessor(dict(inputs=batch['inputs'], data_samples=stand_ins), True)
            distiller.teachers['teacher'].run({modality: data['inputs']}, None, group)
            for name in recorders:
                if isinstance(group[name], ParameterRecorder):
                    writer.write_parameter(name, group.feature(name).detach().cpu().numpy())
                    continue
                pooled = pool_recorded(group.feature(name), len(samples), pools[name])
                writer.write_rows(name, indices, pooled.float().cpu().numpy())
            new = set(indices.tolist()) - done
            done |= new
            if bar is not None:
                bar.update(len(new))
        manifest = dict(
            format=FORMAT, version=VERSION,
            teacher=teacher,
            recorders={name: dict(spec=spec) for name, spec in specs.items()},
            pipeline=plain(path),
            dataset=dataset_record(dataset, dataset_cfg, split.input_key),
            batch_size=batch_size, device=str(device),
            created=datetime.datetime.now().isoformat(timespec='seconds'),
            versions=dict(fdkd_mm=fdkd_mm.__version__, torch=torch.__version__,
                          numpy=np.__version__),
            **(extra or {}))
        writer.finish(manifest)
    if bar is not None:
        print()
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
    device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    distiller = build_live_distiller(model_cfg, device)
    teacher = teacher_record(model_cfg['teacher_input'], model_cfg['teacher'],
                             model_cfg['teacher_ckpt'])
    out_dir = out_dir or default_out_dir(model_cfg['teacher_ckpt'])
    batch_size = batch_size or cfg.train_dataloader.batch_size
    stores = {}
    for split in splits:
        loader = SPLITS[split]
        if not (cfg.get(loader) or {}).get('dataset'):
            raise TeacherCacheError(f'split {split!r}: the config has no {loader}.dataset')
        dataset_cfg = cfg[loader]['dataset']
        dataset_cfg = dataset_cfg.to_dict() if hasattr(dataset_cfg, 'to_dict') else dataset_cfg
        stores[split] = cache_split(
            distiller, teacher, chosen, dataset_cfg, f'{loader}.dataset.pipeline',
            osp.join(out_dir, split), dtype=dtype, batch_size=batch_size,
            num_workers=num_workers, overwrite=overwrite, progress=progress,
            extra=dict(split=split, config=cfg.filename))
    return stores
