"""``--verify``: check a converted layout through the dataset classes the configs build.

Each split's dataset is built exactly as the configs build it (split file parsed, every listed
clip's files present), the number of samples per split and class is printed, and every sample's
files are checked once (samples shared by several splits or tasks are checked once) by the
converter's own rule -- frames decode, audio at the expected rate or of the expected shape,
images decode -- in the worker pool.
"""
import sys
from collections import Counter
from typing import Callable, Mapping, Optional, Sequence

from .media import ClipError
from .runner import CONVERTED, SHOWN_FAILURES, ClipResult, run_clips

BAD_OUTPUT = 'bad output'


def _checker(check: Callable[[dict], list]) -> Callable:
    def run(item) -> ClipResult:
        key, info = item
        problems = check(info)
        if problems:
            raise ClipError(BAD_OUTPUT, '; '.join(problems))
        return ClipResult(key, CONVERTED)
    return run


def print_counts(split: str, dataset, unit: str, stream,
                 infos: Optional[Sequence[dict]] = None) -> None:
    """``<split>: N <unit> in C classes`` and one line per class of the dataset.

    Args:
        split: The split's name.
        dataset: The split's dataset.
        unit: What a sample is called (``'clips'``, ``'pairs'``).
        stream: Where to print.
        infos: The dataset's data infos in index order, when the caller has them already
            (``get_data_info`` copies each; default: read from ``dataset``).
    """
    classes = dataset.metainfo['classes']
    if infos is None:
        infos = [dataset.get_data_info(index) for index in range(len(dataset))]
    counts = Counter(classes[info['gt_label']] for info in infos)
    print(f'{split}: {len(dataset)} {unit} in {len(counts)} classes', file=stream)
    width = max(len(name) for name in classes)
    for name in classes:
        print(f'  {name:<{width}}  {counts.get(name, 0):6d}', file=stream)


def verify_layout(name: str, builders: Mapping[str, Callable], check: Callable[[dict], list],
                  workers: int = 1, show_progress: bool = True,
                  key: Optional[Callable[[dict], str]] = None, unit: str = 'clips',
                  stream=None) -> int:
    """Build each split's dataset, print counts per split and class, check every sample.

    Args:
        name: Dataset name for the messages.
        builders: Split name → function building that split's dataset (as the configs do).
        check: Data info → problems with the sample's files (empty when fine).
        workers: Processes checking samples.
        show_progress: Show the progress bar.
        key: Data info → what identifies a sample's files (default its ``clip_id``); samples
            of equal key are checked once.
        unit: What a sample is called in the counts (``'clips'``, ``'pairs'``).
        stream: Where to print (default stdout).

    Returns:
        0 when every split builds and every sample passes, else 1.
    """
    stream = stream or sys.stdout
    key = key or (lambda info: info['clip_id'])
    problems, items, splits_of = [], {}, {}
    for split, build in builders.items():
        try:
            dataset = build()
        except (FileNotFoundError, ValueError) as error:
            problems.append(f'{split}: the dataset does not build: {error}')
            continue
        infos = [dataset.get_data_info(index) for index in range(len(dataset))]
        print_counts(split, dataset, unit, stream, infos)
        for info in infos:
            items.setdefault(key(info), info)
            splits_of.setdefault(key(info), []).append(split)
    summary = run_clips(list(items.items()), _checker(check), workers, desc=f'verify {name}',
                        show_progress=show_progress)
    problems += [f'{"/".join(splits_of[result.clip_id])}: {result.message}'
                 for result in summary.failed]
    if problems:
        print(f'{name}: {len(problems)} problem(s):', file=stream)
        for problem in problems[:SHOWN_FAILURES]:
            print(f'  {problem}', file=stream)
        if len(problems) > SHOWN_FAILURES:
            print(f'  ... {len(problems) - SHOWN_FAILURES} more', file=stream)
        return 1
    print(f'{name}: layout OK', file=stream)
    return 0
