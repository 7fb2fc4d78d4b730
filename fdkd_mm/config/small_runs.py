"""The small CPU run of every dataset: what ``--small-run`` sets (docs/small_runs.md).

A small run keeps the config's networks, losses and pipelines and shrinks what costs time on a
CPU: smaller frames / crops / images and shorter audio, a small batch, no loader workers, one
thread, a few epochs, and no download (pretrained weights named by URL are left out; local
ones, such as CrisisMMD's BERT directory, stay). The numbers of such a run say whether the
pipeline works on your data and how the methods compare at that budget, not what the paper
reports.
"""
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Optional

from fdkd_mm.config.run_options import leaf_datasets, loader_keys
from fdkd_mm.errors import ConfigError

#: Dataset types (short) → dataset keys.
DATASET_KEYS = {'NYUDepthV2Dataset': 'nyu', 'CremaDDataset': 'cremad', 'AVEDataset': 'ave',
                'VGGSoundDataset': 'vggsound', 'CrisisMMDDataset': 'crisismmd'}
#: Weight sources that need a download.
_REMOTE = ('http://', 'https://', 'open-mmlab://', 'torchvision://', 'mmcls://', 'mmpretrain://')


@dataclass(frozen=True)
class SmallRun:
    """The small CPU run of one dataset.

    Attributes:
        dataset: Dataset key.
        batch_size: Batch size of every loader.
        epochs: Training epochs.
        pipeline_options: Named pipeline parameters (:mod:`fdkd_mm.config.pipeline_options`).
        workers: Loader workers (0: in the main process, no start-up cost per epoch).
        threads: Torch threads.
        note: What to know about the dataset's small run.
    """
    dataset: str
    batch_size: int
    epochs: int
    pipeline_options: Mapping[str, Any] = field(default_factory=dict)
    workers: int = 0
    threads: int = 1
    note: str = ''

    def run_options(self) -> dict[str, Any]:
        """The run options (:mod:`fdkd_mm.config.run_options` destinations) it sets."""
        return dict(batch_size=self.batch_size, epochs=self.epochs, workers=self.workers,
                    threads=self.threads, pipeline_options=dict(self.pipeline_options))

    def argv(self) -> list[str]:
        """The same as command-line flags."""
        options = ' '.join(f'{k}={_text(v)}' for k, v in self.pipeline_options.items())
        return (f'--batch-size {self.batch_size} --workers {self.workers} --epochs '
                f'{self.epochs} --threads {self.threads}'.split()
                + (['--pipeline-options', *options.split()] if options else []))

    def apply_model_changes(self, cfg: MutableMapping) -> None:
        """What a small CPU run changes beside the run options: no SyncBN, no cuDNN
        benchmark, log every 10 iterations, no downloaded weights."""
        cfg['sync_bn'] = None
        env_cfg = cfg.get('env_cfg')
        if isinstance(env_cfg, MutableMapping):
            env_cfg['cudnn_benchmark'] = False
        logger = (cfg.get('default_hooks') or {}).get('logger')
        if isinstance(logger, MutableMapping):
            logger['interval'] = min(int(logger.get('interval', 10)), 10)
        drop_remote_weights(cfg)


def _text(value: Any) -> str:
    return ','.join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


#: The recipe of every dataset. Frames, images and crops shrink the most (ResNet-18 / DeepLabV3+
#: cost grows with the pixels); spectrograms are cut to half their length.
SMALL_RUNS: dict[str, SmallRun] = {recipe.dataset: recipe for recipe in (
    SmallRun('cremad', batch_size=16, epochs=5,
             pipeline_options=dict(frame_size=64, audio_duration=1.5)),
    SmallRun('ave', batch_size=16, epochs=5,
             pipeline_options=dict(frame_size=64, spectrogram_frames=512)),
    SmallRun('vggsound', batch_size=16, epochs=5,
             pipeline_options=dict(frame_size=64, audio_duration=2.5)),
    SmallRun('crisismmd', batch_size=8, epochs=3,
             pipeline_options=dict(image_size=64, text_length=32),
             note='the text model still needs the local BERT directory (bert_dir); the '
             "image model trains from scratch (its ImageNet weights need a download)"),
    SmallRun('nyu', batch_size=4, epochs=5, pipeline_options=dict(crop=(64, 80)),
             note='the segmentors train from scratch (their ImageNet weights need a '
             'download)'),
)}


def dataset_key(cfg: Mapping) -> Optional[str]:
    """The dataset key of a config's training (else first) loader, ``None`` if unknown."""
    keys = loader_keys(cfg)
    keys.sort(key=lambda k: k != 'train_dataloader')
    for key in keys:
        for dataset in leaf_datasets(cfg[key]['dataset']):
            found = DATASET_KEYS.get(str(dataset.get('type', '')).rsplit('.', 1)[-1])
            if found:
                return found
    return None


def small_run_for(cfg: Mapping) -> SmallRun:
    """The small-run recipe of the config's dataset.

    Raises:
        ConfigError: The config's dataset is none of :data:`DATASET_KEYS`.
    """
    key = dataset_key(cfg)
    if key is None:
        raise ConfigError('--small-run: the config reads none of the datasets with a small-run '
                          f'recipe ({", ".join(sorted(DATASET_KEYS))}); give the run options '
                          'yourself (--batch-size, --epochs, --workers, --threads, '
                          '--pipeline-options)')
    return SMALL_RUNS[key]


def drop_remote_weights(node: Any) -> list[str]:
    """Leave out every pretrained weight that would be downloaded, in place.

    ``pretrained='open-mmlab://...'`` becomes ``None`` and an ``init_cfg`` of type
    ``Pretrained`` with a URL checkpoint is removed; local paths stay.

    Returns:
        What was left out, for the log.
    """
    dropped = []
    if isinstance(node, MutableMapping):
        for key in list(node.keys()):
            value = node[key]
            if key == 'pretrained' and isinstance(value, str) and value.startswith(_REMOTE):
                node[key] = None
                dropped.append(value)
            elif (key == 'init_cfg' and isinstance(value, Mapping)
                  and str(value.get('type', '')).endswith('Pretrained')
                  and str(value.get('checkpoint', '')).startswith(_REMOTE)):
                node[key] = None
                dropped.append(str(value['checkpoint']))
            else:
                dropped += drop_remote_weights(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            dropped += drop_remote_weights(item)
    elif hasattr(node, 'keys') and hasattr(node, 'items'):  # mmengine's Config
        for key in list(node.keys()):
            dropped += drop_remote_weights(node[key])
    return dropped
