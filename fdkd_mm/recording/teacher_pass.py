"""The teacher pass: a frozen network run once over an ordered loader, its tensors recorded.

:func:`build_network` builds and strictly loads the network, :func:`ordered_loader` reads a
dataset in index order and :func:`record` runs the one over the other; the teacher cache, the
teacher bank and the analysis tools consume its batches.
"""
import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Optional

import torch
from mmengine.logging import MMLogger, print_log
from mmengine.runner import Runner
from torch import Tensor, nn
from torch.utils.data import DataLoader, Sampler

from fdkd_mm.checkpoint.strict_loading import load_checkpoint_strict, load_teacher_weights
from fdkd_mm.registry import MODELS
from fdkd_mm.models.pooling import pool_recorded
from fdkd_mm.models.recorders import ParameterRecorder, RecorderGroup


@dataclass(frozen=True)
class TeacherCheck:
    """A checkpoint that must be a trained teacher of ``modality`` (``None``: unchecked) and of
    the network; ``allow_mismatch`` (set as ``override_hint`` says) only warns."""
    modality: Optional[str]
    allow_mismatch: bool = False
    override_hint: str = 'allow_teacher_mismatch=True'


def build_network(model_cfg: Mapping, checkpoint: Optional[str] = None, device: str = 'cpu',
                  teacher: Optional[TeacherCheck] = None,
                  description: Optional[dict] = None) -> nn.Module:
    """Build a network from its config (no ``init_weights()``), load its checkpoint strictly
    (every key with its shape, else refused naming the file) and freeze it.

    Args:
        model_cfg: The network config.
        checkpoint: Its weights; ``None`` keeps random ones, with a warning.
        device: Where the network goes.
        teacher: A trained teacher's checkpoint, refused when recorded for another modality or
            network; ``None``: a checkpoint of the whole model (a distiller's holds its teacher).
        description: What ``model_cfg`` builds (``model_record``), for a refusal's message.

    Returns:
        The network in eval mode, without gradients.
    """
    network = MODELS.build(dict(model_cfg))
    if checkpoint is None:
        print_log('no checkpoint given: the network keeps its randomly initialised weights',
                  logger='current', level=30)
    elif teacher is not None:
        load_teacher_weights(network, checkpoint, teacher.modality, model_cfg,
                             allow_mismatch=teacher.allow_mismatch,
                             override_hint=teacher.override_hint)
    else:
        load_checkpoint_strict(network, checkpoint, MMLogger.get_current_instance(), description)
    return network.to(device).eval().requires_grad_(False)


class _InOrder(Sampler):
    """Every index once, in order, on every rank (a teacher pass reads the whole dataset)."""

    def __init__(self, dataset, seed: Optional[int] = None) -> None:
        self.size = len(dataset)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.size))

    def __len__(self) -> int:
        return self.size


def ordered_loader(loader_cfg: Mapping, batch_size: Optional[int] = None,
                   num_workers: Optional[int] = None) -> DataLoader:
    """MMEngine's dataloader of ``loader_cfg`` reading every sample once, in index order (its
    sampler replaced, no ``drop_last``, no persistent workers).

    Args:
        loader_cfg: A dataloader config (``dataset``, ``batch_size``, ...).
        batch_size: Overrides the config's batch size.
        num_workers: Overrides the config's worker count.

    Returns:
        The dataloader.
    """
    cfg = copy.deepcopy(dict(loader_cfg))
    cfg.pop('batch_sampler', None)
    cfg.update(sampler=dict(type=_InOrder), drop_last=False, persistent_workers=False)
    if batch_size is not None:
        cfg['batch_size'] = batch_size
    if num_workers is not None:
        cfg['num_workers'] = num_workers
    return Runner.build_dataloader(cfg, seed=0)


@dataclass
class RecordedBatch:
    """One batch of a pass: the dataset ``indices`` read (each once over the pass), the data
    samples the dataset gave for them (preprocessed), per-sample ``tensors`` by recorder (row i
    of ``data_samples[i]``, pooled) and the parameter recorders' ``parameters``."""
    indices: list[int]
    data_samples: list
    tensors: dict[str, Tensor]
    parameters: dict[str, Tensor]


def _padded(batch: Any, size: int) -> Any:
    """``batch`` (lists, or dicts of them) with copies of its last sample up to ``size``."""
    if isinstance(batch, Mapping):
        return {key: _padded(value, size) for key, value in batch.items()}
    return list(batch) + [copy.deepcopy(batch[-1]) for _ in range(size - len(batch))]


def record(model: nn.Module, recorders: Mapping[str, Mapping], loader: DataLoader, *,
           input_key: Optional[str] = None, training_step: bool = False,
           pad_last: bool = False, forward: Optional[Callable] = None,
           role: str = 'teacher', progress: Optional[str] = None) -> Iterator[RecordedBatch]:
    """Run ``model`` over ``loader`` (its data preprocessor, then ``forward`` under
    ``no_grad``) and yield the recorded tensors batch by batch.

    Args:
        model: The frozen network (or a model holding several, see ``forward``).
        recorders: Name → recorder arguments (paths on ``model``) plus ``pool``.
        loader: From :func:`ordered_loader`.
        input_key: The modality to run on when the loader packs a dict of modalities.
        training_step: Preprocess as a training step feeds a non-label modality (training
            mode, data samples without labels); default test mode with labels.
        pad_last: Pad a short last batch to the batch size with its last sample (each output is
            then the one a step at that batch size computes); padding is not yielded.
        forward: ``forward(model, inputs, data_samples)``; default ``mode='tensor'``.
        role: Word naming the model in recorder errors.
        progress: Title of a progress bar over the samples; ``None``: no bar.

    Yields:
        :class:`RecordedBatch` per batch, samples in index order.
    """
    from tqdm import tqdm

    pools = {name: cfg.get('pool') for name, cfg in recorders.items()}
    group = RecorderGroup(model, {name: {k: v for k, v in cfg.items() if k != 'pool'}
                                  for name, cfg in recorders.items()}, role=role)
    bar = tqdm(total=len(loader.dataset), unit='sample', desc=progress, disable=not progress)
    try:
        for indices, data in zip(loader.batch_sampler, loader):
            inputs, samples = data['inputs'], data['data_samples']
            if input_key is not None and isinstance(inputs, Mapping):
                if input_key not in inputs:
                    raise KeyError(f'the loader packs the modalities {sorted(inputs)}, not the '
                                   f'{role} input {input_key!r}')
                inputs = inputs[input_key]
            if training_step:
                samples = [type(sample)(metainfo=sample.metainfo) for sample in samples]
            size = loader.batch_size if pad_last else len(indices)
            with torch.no_grad():
                data = model.data_preprocessor(
                    _padded(dict(inputs=inputs, data_samples=samples), size), training_step)
                with group:
                    if forward is None:
                        model(data['inputs'], data['data_samples'], mode='tensor')
                    else:
                        forward(model, data['inputs'], data['data_samples'])
            tensors = {name: pool_recorded(group.feature(name), size, pools[name])[:len(indices)]
                       for name in recorders if not isinstance(group[name], ParameterRecorder)}
            parameters = {name: group.feature(name).detach() for name in recorders
                          if isinstance(group[name], ParameterRecorder)}
            bar.update(len(indices))
            yield RecordedBatch(list(indices), data['data_samples'][:len(indices)], tensors,
                                parameters)
    finally:
        bar.close()
