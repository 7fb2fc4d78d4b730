"""Samples per second of a training pipeline, stage by stage, and the workers a step rate needs.

One process runs the dataset's own pipeline sample after sample, timing every transform
(:func:`profile_pipeline`): the per-sample cost of each stage and the throughput of one
dataloader worker. :func:`workers_needed` turns a training step rate into the number of workers
that keep up with it (workers scale linearly as long as the machine has a core for each).

:func:`write_realistic` writes synthetic data in each dataset's real layout at the real
media sizes (CREMA-D: 2.5 s 16 kHz wavs and 480 x 360 frames; VGGSound: 10 s wavs and 640 x
360 frames; NYU: 640 x 480 PNGs; CrisisMMD: 800 x 600 JPEGs; RAVDESS: 3.6 s 22,050 Hz wavs
and 15 frames of 224 x 224), for machines without the data.
"""
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass
class StageTime:
    """The cost of one transform of the pipeline."""
    name: str
    seconds: list = field(default_factory=list)

    @property
    def mean_ms(self) -> float:
        return 1e3 * float(np.mean(self.seconds))

    @property
    def median_ms(self) -> float:
        return 1e3 * float(np.median(self.seconds))


@dataclass
class PipelineProfile:
    """Per-stage times and the throughput of one worker.

    Attributes:
        stages: One :class:`StageTime` per transform, in pipeline order (plus
            ``get_data_info`` first).
        samples: Samples timed.
        total_s: Wall time of all of them (the sum of the stages, loop overhead aside).
    """
    stages: list
    samples: int
    total_s: float

    @property
    def samples_per_s(self) -> float:
        """Throughput of one worker."""
        return self.samples / self.total_s

    def slowest(self) -> StageTime:
        return max(self.stages, key=lambda stage: stage.mean_ms)


def _stage_name(transform) -> str:
    return type(transform).__name__


def profile_pipeline(dataset, num_samples: int, warmup: int = 2,
                     start: int = 0) -> PipelineProfile:
    """Time every transform of ``dataset.pipeline`` over ``num_samples`` samples.

    Args:
        dataset: A built MMEngine dataset (``get_data_info`` and ``pipeline.transforms``).
        num_samples: Samples to time (cycling over the dataset if it is smaller).
        warmup: Untimed samples first (file caches, lazy imports, tokenizer loading).
        start: Index of the first sample.

    Returns:
        The profile.
    """
    transforms = list(dataset.pipeline.transforms)
    stages = [StageTime('get_data_info')] + [StageTime(_stage_name(t)) for t in transforms]
    total = 0.0
    for step in range(warmup + num_samples):
        index = (start + step) % len(dataset)
        begin = time.perf_counter()
        results = dataset.get_data_info(index)
        times = [time.perf_counter() - begin]
        for transform in transforms:
            tick = time.perf_counter()
            results = transform(results)
            times.append(time.perf_counter() - tick)
            if results is None:
                raise RuntimeError(f'{_stage_name(transform)} dropped sample {index}')
        if step >= warmup:
            total += time.perf_counter() - begin
            for stage, seconds in zip(stages, times):
                stage.seconds.append(seconds)
    return PipelineProfile(stages, num_samples, total)


def workers_needed(samples_per_s_per_worker: float, steps_per_s: float,
                   batch_size: int) -> int:
    """Dataloader workers that deliver ``steps_per_s`` batches of ``batch_size`` per second."""
    return max(1, math.ceil(steps_per_s * batch_size / samples_per_s_per_worker))


# ------------------------------------------------------------------------- synthetic data
#: Dataset type → writer of realistic synthetic data (``root``, ``num_samples``) → data_root.
def _cremad(root: str, num_samples: int) -> str:
    from fdkd_mm.testing import write_synthetic_cremad
    per_class = max(1, math.ceil(num_samples / 6))
    write_synthetic_cremad(root, clips_per_class=(per_class, 1), duration=2.5,
                           frames_per_clip=3, frame_size=(360, 480))
    return root


def _vggsound(root: str, num_samples: int) -> str:
    from fdkd_mm.testing import write_synthetic_vggsound
    per_class = max(1, math.ceil(num_samples / 3))
    write_synthetic_vggsound(root, num_classes=3, clips_per_class=(per_class, 1), duration=10.0,
                             frames_per_clip=10, frame_size=(360, 640))
    return root


def _ave(root: str, num_samples: int) -> str:
    from fdkd_mm.testing import write_synthetic_ave
    per_class = max(1, math.ceil(num_samples / 3))
    write_synthetic_ave(root, num_classes=3, clips_per_class=(per_class, 1, 1), duration=10.0,
                        frames_per_clip=10, frame_size=(360, 640))
    return root


def _nyu(root: str, num_samples: int) -> str:
    from fdkd_mm.testing import write_synthetic_nyu
    return str(write_synthetic_nyu(root, num_train=num_samples, num_test=1, height=480,
                                   width=640, num_classes=40))


def _crisismmd(root: str, num_samples: int) -> str:
    from fdkd_mm.testing import write_synthetic_crisismmd
    write_synthetic_crisismmd(root, samples_per_split=dict(train=num_samples, dev=1, test=1),
                              image_size=(600, 800))
    return root


def _ravdess(root: str, num_samples: int) -> str:
    from fdkd_mm.testing.synthetic_ravdess import write_synthetic_ravdess
    per_class = max(1, math.ceil(num_samples / 8))
    write_synthetic_ravdess(root, clips_per_class=(per_class, 1, 1), duration=3.6,
                            frames_per_clip=15, frame_size=(224, 224))
    return root


REALISTIC_WRITERS = {'CremaDDataset': _cremad, 'VGGSoundDataset': _vggsound,
                     'AVEDataset': _ave, 'NYUDepthV2Dataset': _nyu,
                     'CrisisMMDDataset': _crisismmd, 'RAVDESSDataset': _ravdess}


def write_realistic(dataset_type: str, root: str, num_samples: int) -> str:
    """Write synthetic data of ``dataset_type`` at real media sizes; returns its data root."""
    name = dataset_type.rsplit('.', 1)[-1]
    if name not in REALISTIC_WRITERS:
        raise ValueError(f'no synthetic writer for {dataset_type}; known: '
                         f'{sorted(REALISTIC_WRITERS)} (or give --data-root)')
    return REALISTIC_WRITERS[name](root, num_samples)


def format_report(profile: PipelineProfile, batch_size: int,
                  step_rates: Sequence[float], title: Optional[str] = None) -> str:
    """A markdown report: stages, throughput per worker, workers for each step rate."""
    lines = [title or '', '', '| stage | mean ms/sample | median ms | share |', '|---|---|---|---|']
    total_ms = sum(stage.mean_ms for stage in profile.stages)
    for stage in profile.stages:
        lines.append(f'| {stage.name} | {stage.mean_ms:.2f} | {stage.median_ms:.2f} | '
                     f'{100 * stage.mean_ms / total_ms:.0f} % |')
    rate = profile.samples_per_s
    lines += ['', f'one worker: {rate:.1f} samples/s ({profile.samples} samples); slowest '
                  f'stage {profile.slowest().name}', '',
              f'| training steps/s (batch {batch_size}) | samples/s | workers needed |',
              '|---|---|---|']
    for steps in step_rates:
        lines.append(f'| {steps:g} | {steps * batch_size:g} | '
                     f'{workers_needed(rate, steps, batch_size)} |')
    return '\n'.join(lines).strip()
