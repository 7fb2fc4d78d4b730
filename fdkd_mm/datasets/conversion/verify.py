"""``--verify``: check a converted layout through the dataset classes the configs build.

Each split's dataset is built exactly as the configs build it (split file parsed, every listed
clip's files present), every clip's files are checked by the converter's own rule (frames
decode, audio at the expected rate or of the expected shape) in the worker pool, and the
number of clips per split and class is printed.
"""
import sys
from collections import Counter
from typing import Callable, Mapping

from .media import ClipError
from .runner import CONVERTED, SHOWN_FAILURES, ClipResult, run_clips

BAD_OUTPUT = 'bad output'


def _checker(check_clip: Callable[[dict], list]) -> Callable:
    def check(item) -> ClipResult:
        clip_id, info = item
        problems = check_clip(info)
        if problems:
            raise ClipError(BAD_OUTPUT, '; '.join(problems))
        return ClipResult(clip_id, CONVERTED)
    return check


def verify_layout(name: str, builders: Mapping[str, Callable], check_clip: Callable[[dict], list],
                  workers: int = 1, show_progress: bool = True, stream=None) -> int:
    """Build each split's dataset, check every clip, print counts per split and class.

    Args:
        name: Dataset name for the messages.
        builders: Split name → function building that split's dataset (as the configs do).
        check_clip: Data info → problems with the clip's files (empty when fine).
        workers: Processes checking clips.
        show_progress: Show progress bars.
        stream: Where to print (default stdout).

    Returns:
        0 when every split builds and every clip passes, else 1.
    """
    stream = stream or sys.stdout
    problems = []
    for split, build in builders.items():
        try:
            dataset = build()
        except (FileNotFoundError, ValueError) as error:
            problems.append(f'{split}: the dataset does not build: {error}')
            continue
        infos = [dataset.get_data_info(index) for index in range(len(dataset))]
        counts = Counter(info['label_name'] for info in infos)
        print(f'{split}: {len(infos)} clips in {len(counts)} classes', file=stream)
        width = max((len(label) for label in counts), default=0)
        for label in dataset.metainfo['classes']:
            print(f'  {label:<{width}}  {counts.get(label, 0):6d}', file=stream)
        summary = run_clips([(info['clip_id'], info) for info in infos], _checker(check_clip),
                            workers, desc=f'verify {split}', show_progress=show_progress)
        problems += [f'{split}: {result.message}' for result in summary.failed]
    if problems:
        print(f'{name}: {len(problems)} problem(s):', file=stream)
        for problem in problems[:SHOWN_FAILURES]:
            print(f'  {problem}', file=stream)
        if len(problems) > SHOWN_FAILURES:
            print(f'  ... {len(problems) - SHOWN_FAILURES} more', file=stream)
        return 1
    print(f'{name}: layout OK', file=stream)
    return 0
