"""Decode every sample of every split of a config up front (``tools/check_data.py``).

A bad file in the test split otherwise surfaces at the first validation, possibly epochs into
training. Each split's dataset is built from the config and every index is run through its
full pipeline (decoding included); failures are collected, not raised, so one pass reports
all of them.
"""
import copy
from dataclasses import dataclass, field
from typing import Iterable, Optional

from mmengine.config import Config
from mmengine.registry import init_default_scope
from tqdm import tqdm

SPLITS = ('train', 'val', 'test')


@dataclass
class SplitReport:
    """What checking one split found."""

    split: str
    size: int = 0
    bad: list = field(default_factory=list)  # (index, sample files, error text)
    build_error: Optional[str] = None
    same_as: Optional[str] = None  # an identical dataset checked under another split

    @property
    def ok(self) -> bool:
        return self.build_error is None and not self.bad


def _sample_files(dataset, index: int) -> str:
    try:
        info = dataset.get_data_info(index)
    except Exception:  # the dataset's own listing failed: the error says more
        return ''
    paths = [str(v) for k, v in info.items() if k.endswith(('_path', '_dir')) and v]
    return ', '.join(paths)


def _dataset_cfg(cfg: Config, split: str) -> Optional[dict]:
    loader = cfg.get(f'{split}_dataloader')
    dataset = (loader or {}).get('dataset')
    if not dataset:
        return None
    dataset = copy.deepcopy(dataset)
    if 'skip_bad_samples' in dataset:  # report bad samples instead of replacing them
        dataset['skip_bad_samples'] = False
    return dataset


def check_split(dataset_cfg: dict, split: str, progress: bool = True) -> SplitReport:
    """Build one split's dataset and run every sample through its pipeline.

    Args:
        dataset_cfg: The dataset config (from ``<split>_dataloader.dataset``).
        split: Name for the report and the progress bar.
        progress: Show a tqdm progress bar (on stderr).

    Returns:
        The split's report.
    """
    from fdkd_mm.registry import DATASETS
    report = SplitReport(split)
    try:
        dataset = DATASETS.build(dataset_cfg)
    except Exception as error:  # a missing split file or listed file: report, go on
        report.build_error = f'{type(error).__name__}: {error}'
        return report
    report.size = len(dataset)
    for index in tqdm(range(report.size), desc=f'check {split}', unit='sample',
                      disable=not progress):
        try:
            dataset[index]
        except Exception as error:
            report.bad.append((index, _sample_files(dataset, index),
                               f'{type(error).__name__}: {error}'))
    return report


def check_config_data(cfg: Config, splits: Iterable[str] = SPLITS,
                      progress: bool = True) -> list[SplitReport]:
    """Check every sample of the config's splits; identical datasets are checked once.

    Args:
        cfg: The full config.
        splits: Which of ``train``, ``val``, ``test`` to check.
        progress: Show progress bars.

    Returns:
        One report per split that the config defines.
    """
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    import fdkd_mm  # noqa: F401  (registers datasets and transforms)
    reports, seen = [], {}
    for split in splits:
        dataset_cfg = _dataset_cfg(cfg, split)
        if dataset_cfg is None:
            continue
        key = Config(dict(dataset=dataset_cfg)).pretty_text
        if key in seen:
            reports.append(SplitReport(split, size=seen[key].size, same_as=seen[key].split))
            continue
        seen[key] = report = check_split(dataset_cfg, split, progress)
        reports.append(report)
    return reports


def format_reports(reports: list[SplitReport], shown: int = 10) -> str:
    """A summary: per split the sample count and the bad samples (first ``shown``)."""
    lines = []
    for report in reports:
        if report.same_as:
            lines.append(f'{report.split}: the same dataset as {report.same_as} (checked once)')
        elif report.build_error:
            lines.append(f'{report.split}: the dataset cannot be built: {report.build_error}')
        else:
            lines.append(f'{report.split}: {report.size} samples, {len(report.bad)} bad')
            for index, files, error in report.bad[:shown]:
                lines.append(f'  sample {index}' + (f' ({files})' if files else '') + f': {error}')
            if len(report.bad) > shown:
                lines.append(f'  ... and {len(report.bad) - shown} more')
    bad = sum(len(r.bad) for r in reports) + sum(bool(r.build_error) for r in reports)
    lines.append('all samples decoded' if not bad else
                 f'{bad} problem(s): fix or remove the samples above before training')
    return '\n'.join(lines)
