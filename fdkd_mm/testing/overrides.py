"""``--cfg-options`` that shrink the NYU-Depth V2 and audio-visual configs to small CPU runs
(demos, tests).

The tools' own small run of every dataset is ``--small-run`` (:mod:`fdkd_mm.config.small_runs`,
docs/small_runs.md); these helpers keep the demos' exact settings.
"""
from collections.abc import Callable


def nyu_cpu_overrides(data_root: str, epochs: int, models: list[str],
                      crop: tuple[int, int] = (64, 80), batch_size: int = 4) -> list[str]:
    """Overrides running a NYU config on ``data_root`` at a small crop on CPU.

    Only sizes, schedule and paths change; the pipeline, model and losses stay the config's.

    Args:
        data_root: Root of a dataset in the NYU layout (e.g. from ``write_synthetic_nyu``).
        epochs: Training epochs (validation and the checkpoint happen at the last one).
        models: Config paths of the segmentors to adapt, e.g. ``['model']`` for a unimodal
            config or ``['model.student', 'model.teacher']`` for a distiller.
        crop: (h, w) of the random crop and of the preprocessors' padding.
        batch_size: Training batch size.

    Returns:
        ``key=value`` strings for ``tools/train.py`` / ``tools/test.py``.
    """
    h, w = crop
    options = [
        f'train_dataloader.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}',
        f'train_dataloader.dataset.pipeline.3.scale=({w},{h})',  # RandomResize base (w, h)
        f'train_dataloader.dataset.pipeline.4.crop_size=({h},{w})',  # RandomCrop (h, w)
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
    ]
    return options + _run_options(epochs, models, crop, batch_size)


def _run_options(epochs: int, networks: list[str], crop: tuple[int, int],
                 batch_size: int) -> list[str]:
    """The overrides both NYU helpers share: batch size, schedule, logging, no SyncBN or
    cuDNN benchmark, and every network untrained (no download) at the crop's padding.

    Args:
        epochs: Training epochs (validation and the checkpoint happen at the last one).
        networks: Config keys of the segmentors to adapt.
        crop: (h, w) of the preprocessors' padding.
        batch_size: Training batch size.

    Returns:
        ``key=value`` strings.
    """
    h, w = crop
    options = _schedule_options(epochs, batch_size)
    for network in networks:
        options += [f'{network}.pretrained=None',  # no network: train from scratch
                    f'{network}.data_preprocessor.size=({h},{w})']
    return options


def _schedule_options(epochs: int, batch_size: int) -> list[str]:
    """Batch size, schedule (validation and checkpoint at the last epoch), logging, no SyncBN
    or cuDNN benchmark: what every small CPU run changes."""
    return [
        f'train_dataloader.batch_size={batch_size}',
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        f'param_scheduler.0.end={epochs}',
        f'default_hooks.checkpoint.interval={epochs}',
        'default_hooks.logger.interval=5',
        'sync_bn=None',  # no SyncBN kernel on CPU
        'env_cfg.cudnn_benchmark=False',
    ]


def _loader_options(cfg, data_root: str,
                    transform_options: Callable[[str, int, str], list[str]]) -> list[str]:
    """Per loader of a config (the teacher bank's included): the data root of its dataset
    (below wrappers), no workers, and ``transform_options(path, index, name)`` of every
    transform of its pipeline."""
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                   'teacher_dataloader'):
        if cfg.get(loader) is None:
            continue
        path, dataset = _dataset_path(cfg[loader], loader)
        options.append(f'{path}.data_root={data_root}')
        for index, transform in enumerate(dataset['pipeline']):
            options += transform_options(path, index, str(transform['type']).rsplit('.', 1)[-1])
        options += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return options


def _dataset_path(loader: dict, prefix: str) -> tuple[str, dict]:
    """The key and config of the dataset that holds the pipeline, below dataset wrappers."""
    path, dataset = f'{prefix}.dataset', loader['dataset']
    while 'pipeline' not in dataset and 'dataset' in dataset:  # e.g. DisjointPartDataset
        path, dataset = f'{path}.dataset', dataset['dataset']
    return path, dataset


def config_networks(cfg) -> list[str]:
    """Config keys of every segmentor of a config: ``model`` for a plain model, else the
    distiller's student and teacher (when it has one) and a teacher bank's teacher."""
    model = cfg['model']
    if 'student' not in model:
        return ['model']
    networks = ['model.student']
    if model.get('teacher') is not None:
        networks.append('model.teacher')
    if cfg.get('teacher_bank') is not None:
        networks.append('teacher_bank.teacher')
    return networks


def nyu_config_cpu_overrides(cfg, data_root: str, epochs: int, crop: tuple[int, int] = (64, 80),
                             batch_size: int = 4) -> list[str]:
    """:func:`nyu_cpu_overrides` for any NYU config, found in the config itself: datasets
    below wrappers (``DisjointPartDataset``), the teacher bank's loader and network, the random
    resize and crop wherever they sit in the pipelines.

    Args:
        cfg: The loaded config (``mmengine.Config`` or a dict).
        data_root: Root of a dataset in the NYU layout.
        epochs: Training epochs.
        crop: (h, w) of the random crop and of the preprocessors' padding.
        batch_size: Training batch size.

    Returns:
        ``key=value`` strings for ``tools/train.py`` / ``tools/test.py``.
    """
    h, w = crop

    def crops(path: str, index: int, name: str) -> list[str]:
        if name == 'RandomResize':
            return [f'{path}.pipeline.{index}.scale=({w},{h})']
        if name == 'RandomCrop':
            return [f'{path}.pipeline.{index}.crop_size=({h},{w})']
        return []

    return (_loader_options(cfg, data_root, crops)
            + _run_options(epochs, config_networks(cfg), crop, batch_size)
            + offline_weight_options(cfg))


def av_config_cpu_overrides(cfg, data_root: str, epochs: int, frame_size: int = 32,
                            batch_size: int = 8) -> list[str]:
    """Overrides running an audio-visual classification config (Uni, distiller, teacher bank)
    on ``data_root`` on CPU: frames resized and cropped to ``frame_size``, the schedule
    shortened; networks, losses and the audio pipeline stay the config's.

    Args:
        cfg: The loaded config.
        data_root: Root of a dataset in the config's layout (e.g. ``write_synthetic_cremad``).
        epochs: Training epochs.
        frame_size: Side of the training crop and of the test resize.
        batch_size: Training batch size.

    Returns:
        ``key=value`` strings for ``tools/train.py`` / ``tools/test.py``.
    """
    def frames(path: str, index: int, name: str) -> list[str]:
        if name in ('FramesRandomResizedCrop', 'FramesResize'):
            return [f'{path}.pipeline.{index}.scale={frame_size}']
        return []

    return (_loader_options(cfg, data_root, frames) + _schedule_options(epochs, batch_size)
            + offline_weight_options(cfg))


def _downloads(value) -> bool:
    """A weight source that is fetched: a URL-like string (``https://``, ``open-mmlab://``)."""
    return isinstance(value, str) and '://' in value


def _weight_keys(node, path: str):
    """``(key, replacement)`` of every pretrained-weight source below ``node``."""
    if isinstance(node, dict):
        init_cfg = node.get('init_cfg')
        inits = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
        if any(isinstance(i, dict) and str(i.get('type', '')).rsplit('.', 1)[-1] == 'Pretrained'
               for i in inits):
            yield f'{path}.init_cfg', 'None'
        pretrained = node.get('pretrained')
        if pretrained is True:  # a zoo model with its released weights
            yield f'{path}.pretrained', 'False'
        elif _downloads(pretrained):
            yield f'{path}.pretrained', 'None'
        for key, value in node.items():
            if key not in ('init_cfg', 'pretrained'):
                yield from _weight_keys(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _weight_keys(value, f'{path}.{index}')


def offline_weight_options(cfg) -> list[str]:
    """Overrides that stop every pretrained-weight download of a config: each ``init_cfg`` of
    type ``Pretrained`` (e.g. SegFormer's MiT-B0, the CrisisMMD MobileNetV2), each
    ``pretrained`` URL (``open-mmlab://resnet18_v1c``) and each zoo ``pretrained=True``, in
    the model and a teacher bank's teacher. The networks then start from their own random
    initialisation; local paths (a tokenizer folder) stay.

    Args:
        cfg: The loaded config (``mmengine.Config`` or a dict).

    Returns:
        ``key=value`` strings.
    """
    options = []
    for top in ('model', 'teacher_bank'):
        node = cfg.get(top) if hasattr(cfg, 'get') else None
        if node is not None:
            node = node.to_dict() if hasattr(node, 'to_dict') else node
            options += [f'{key}={value}' for key, value in _weight_keys(dict(node), top)]
    return options
