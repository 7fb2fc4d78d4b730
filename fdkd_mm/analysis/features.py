"""Feature extraction for the analysis tools: build a model from its config, load a checkpoint,
run a split through it and record features (the teacher pass of :mod:`fdkd_mm.recording`).

A *stream* is one model with its own dataloader and one or more recorders. Comparing two
unimodal models (a depth and an RGB network) uses two streams over the same split, each
loader packing its own modality; comparing a distiller's student with its teacher uses one
stream with two recorders (``student.<path>``, ``teacher.<path>``), both models running on
their own modality of the same batch.
"""
import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Optional

from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import Tensor, nn

from fdkd_mm.checkpoint.metadata import model_record
from fdkd_mm.models.distillers.labels import gather_labels
from fdkd_mm.recording.teacher_pass import build_network, ordered_loader, record

#: Metainfo keys that identify a sample; paired streams must agree on them batch by batch.
_IDENTITY_KEYS = ('sample_idx', 'img_path')


def parse_recorder(spec: str) -> dict:
    """Parse ``'path[:source[:call_index]]'`` into FeatureRecorder keyword arguments.

    Args:
        spec: E.g. ``'decode_head.conv_seg:input'`` or ``'backbone.layer4.1.relu:input:1'``.

    Returns:
        ``dict(path=..., source=..., call_index=...)``.
    """
    parts = spec.split(':')
    if not 1 <= len(parts) <= 3 or not parts[0]:
        raise ValueError(f'recorder spec must be path[:source[:call_index]], got {spec!r}')
    recorder = dict(path=parts[0], source=parts[1] if len(parts) > 1 else 'output')
    if len(parts) == 3:
        recorder['call_index'] = int(parts[2])
    return recorder


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config (importing its ``custom_imports``) and apply ``--cfg-options`` overrides."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def is_distiller(model: nn.Module) -> bool:
    """Whether ``model`` is a cross-modal distiller (a student and a teacher on two inputs)."""
    return all(hasattr(model, name) for name in
               ('student', 'teacher', 'student_input', 'teacher_input'))


def build_model(cfg: Config, checkpoint: Optional[str] = None,
                device: str = 'cpu') -> nn.Module:
    """Build ``cfg.model`` in the config's scope, load ``checkpoint`` and switch to eval mode.

    ``init_weights()`` is not called, so no pretrained weights are fetched. With a checkpoint a
    distiller's ``teacher_ckpt`` is skipped: the distiller checkpoint holds the teacher too.

    Args:
        cfg: The loaded config.
        checkpoint: Weights to load, strictly: a checkpoint that does not fit the config is
            refused with a summary (:func:`~fdkd_mm.recording.teacher_pass.build_network`).
            ``None`` keeps random weights, with a warning.
        device: Device to run on.

    Returns:
        The model in eval mode.
    """
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    model_cfg = copy.deepcopy(cfg.model)
    if checkpoint is not None and 'teacher_ckpt' in model_cfg:
        model_cfg['teacher_ckpt'] = None
    return build_network(model_cfg, checkpoint, device, description=model_record(cfg))


def default_recorder(model: nn.Module) -> dict:
    """The feature FD-CMKD distils from a plain model, with its pooling.

    * mmseg segmentors: the input of the decode head's classifier ``conv_seg`` (its final
      feature map: DeepLabV3+'s ``sep_bottleneck`` output, SegFormer's fused feature, PSPNet's
      bottleneck; dropout is off in eval), kept dense.
    * classifiers: the input of the head's ``fc`` layer, i.e. the pooled output of the last
      stage (for ResNet-18 the post-ReLU last-block output the paper's features are,
      MobileNetV2's last 1x1 conv stage, BERT's [CLS] vector).

    Args:
        model: A built model.

    Returns:
        FeatureRecorder keyword arguments and ``pool`` (``'avg'`` or ``None``).

    Raises:
        ValueError: If none of these layers exists; pass a recorder spec then.
    """
    modules = dict(model.named_modules())
    if 'decode_head.conv_seg' in modules:
        return dict(path='decode_head.conv_seg', source='input', pool=None)
    if 'head.fc' in modules:
        return dict(path='head.fc', source='input', pool='avg')
    raise ValueError(f'no default feature for {type(model).__name__}; give a recorder spec '
                     '(path[:source[:call_index]])')


def distiller_recorders(model: nn.Module) -> dict[str, dict]:
    """The student's and teacher's distilled features of a distiller, as paths on the distiller.

    The tensors are those the distiller's first feature loss compares (the ``student_feat`` /
    ``teacher_feat`` arguments of FD-CMKD, Feat, PKD, OFD, C2KD ...), else the recorders named
    ``feat``; their pooling is the recorders' own.

    Args:
        model: A built :class:`~fdkd_mm.models.distillers.CrossModalDistiller`.

    Returns:
        ``{'student': recorder kwargs with pool, 'teacher': ...}``.

    Raises:
        ValueError: If the distiller compares no pair of single features (a logit method):
            give recorder specs then.
    """
    names = None
    for sources in getattr(model, 'loss_sources', {}).values():
        student, teacher = sources.get('student_feat'), sources.get('teacher_feat')
        if (student is not None and teacher is not None and student.kind == 'recorder'
                and teacher.kind == 'recorder' and not student.is_list):
            names = dict(student=student.recorders[0], teacher=teacher.recorders[0])
            break
    if names is None and 'feat' in model.student_recorders and 'feat' in model.teacher_recorders:
        names = dict(student='feat', teacher='feat')
    if names is None:
        raise ValueError(f'{type(model).__name__} distils no pair of features (recorders: '
                         f'student {list(model.student_recorders)}, teacher '
                         f'{list(model.teacher_recorders)}); give recorder specs')
    recorders = {}
    for role, name in names.items():
        group = model.student_recorders if role == 'student' else model.teacher_recorders
        recorder = group[name]
        recorders[role] = dict(path=f'{role}.{recorder.path}', source=recorder.source,
                               call_index=recorder.call_index, data_index=recorder.data_index,
                               pool=recorder.pool)
    return recorders


def build_loader(cfg: Config, split: str = 'test', batch_size: Optional[int] = None,
                 num_workers: int = 0):
    """The config's ``<split>_dataloader``, in order and without random augmentation.

    Pairs must be the same samples in the same views, so the sampler never shuffles, and the
    train split is read through the *test* pipeline (a random crop or flip would differ between
    two loaders).

    Args:
        cfg: The loaded config.
        split: ``'train'``, ``'val'`` or ``'test'``.
        batch_size: Overrides the loader's batch size.
        num_workers: Worker processes.

    Returns:
        A ``torch.utils.data.DataLoader``.
    """
    key = f'{split}_dataloader'
    if cfg.get(key) is None:
        raise KeyError(f'the config has no {key}')
    loader_cfg = copy.deepcopy(cfg[key])
    if split == 'train':
        loader_cfg.dataset.pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    return ordered_loader(loader_cfg, batch_size, num_workers)


def _both_networks(distiller: nn.Module, inputs: dict, data_samples: list) -> None:
    """A distiller's teacher and student, each on its own modality of the same samples."""
    distiller.teacher(inputs[distiller.teacher_input], data_samples, mode='tensor')
    distiller.student(inputs[distiller.student_input], data_samples, mode='tensor')


@dataclass
class FeatureStream:
    """A model (plain or distiller, in eval mode), its ordered loader of the split
    (:func:`build_loader`) and its recorders: name → FeatureRecorder kwargs (paths on
    ``model``) with ``pool``."""
    model: nn.Module
    loader: object
    recorders: dict[str, dict]


def _check_same_samples(first: list, other: list) -> None:
    if len(first) != len(other):
        raise RuntimeError(f'paired loaders gave batches of {len(first)} and {len(other)} '
                           'samples; use the same split and batch size')
    for key in _IDENTITY_KEYS:
        a = [s.metainfo.get(key) for s in first]
        b = [s.metainfo.get(key) for s in other]
        if None not in a and None not in b:
            if a != b:
                raise RuntimeError(f'paired loaders are out of step: {key} {a} vs {b}')
            return


def iterate_features(streams: Sequence[FeatureStream], max_samples: Optional[int] = None,
                     progress: bool = True, device: str = 'cpu'
                     ) -> Iterator[tuple[dict[str, Tensor], Optional[Tensor]]]:
    """Run the streams in lockstep over their split; yield every recorded feature per batch.

    Args:
        streams: One stream (a distiller) or several (one model each) over the same samples.
        max_samples: Stop after this many samples (the last batch is cut).
        progress: Show a tqdm progress bar.
        device: Where the yielded features go.

    Yields:
        ``(features, labels)``: recorded features by recorder name, and the labels of the
        batch ((N,) or (N, H, W), ``None`` if the samples carry none).
    """
    from tqdm import tqdm

    total = len(streams[0].loader.dataset)
    if max_samples is not None:
        total = min(total, max_samples)
    seen = 0
    bar = tqdm(total=total, unit='sample', disable=not progress, desc='features')
    passes = (record(s.model, s.recorders, s.loader, role='analysis',
                     forward=_both_networks if is_distiller(s.model) else None) for s in streams)
    for batches in zip(*passes):
        features, samples = {}, batches[0].data_samples
        for batch in batches:
            _check_same_samples(samples, batch.data_samples)
            features.update({name: f.float().to(device) for name, f in batch.tensors.items()})
        try:
            labels = gather_labels(samples)
        except KeyError:
            labels = None
        keep = min(len(samples), total - seen)
        if keep < len(samples):
            features = {name: f[:keep] for name, f in features.items()}
            labels = labels[:keep] if labels is not None else None
        seen += keep
        bar.update(keep)
        yield features, labels
        if seen >= total:
            break
    bar.close()
