"""Run a per-clip conversion over many clips: worker pool, progress bar, failure summary.

A converter gives :func:`run_clips` its clips and a function that converts one clip (and
skips the outputs that are already complete). A clip that fails (a :class:`ClipError`, or any
other exception) is recorded with its reason and the run goes on; the summary groups the
failures by reason and is also written as a TSV next to the outputs.
"""
import argparse
import multiprocessing
import sys
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Hashable, Mapping, Optional, Sequence

from tqdm import tqdm

from .media import ClipError
from .outputs import write_text

CONVERTED, SKIPPED, FAILED = 'converted', 'skipped', 'failed'
UNEXPECTED = 'unexpected error'
FAILURES_FILE = 'conversion_failures.tsv'
SHOWN_FAILURES = 20


@dataclass
class ClipResult:
    """What happened to one clip.

    Attributes:
        clip_id: The clip.
        status: ``'converted'`` (something written), ``'skipped'`` (all outputs complete
            already) or ``'failed'``.
        category: Failure group (``status == 'failed'``).
        message: What went wrong, naming the file.
        notes: Remarks on a converted clip (e.g. where its audio came from).
    """
    clip_id: str
    status: str
    category: str = ''
    message: str = ''
    notes: tuple = ()


@dataclass
class RunSummary:
    """The results of a run, in input order."""
    results: list = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def failed(self) -> list:
        return [result for result in self.results if result.status == FAILED]

    @property
    def succeeded_ids(self) -> set:
        return {result.clip_id for result in self.results if result.status != FAILED}

    def notes(self) -> Counter:
        return Counter(note for result in self.results for note in result.notes)

    def report(self, name: str, out_root: Path, stream=None) -> None:
        """Print the counts and the failures; write them to ``out_root/conversion_failures.tsv``.

        Args:
            name: Dataset name for the header line.
            out_root: The output root (the TSV goes there; a stale one is removed when no clip
                failed).
            stream: Where to print (default stdout).
        """
        stream = stream or sys.stdout
        failed = self.failed
        print(f'{name}: {len(self.results)} clips: {self.count(CONVERTED)} converted, '
              f'{self.count(SKIPPED)} already complete, {len(failed)} failed', file=stream)
        for note, count in sorted(self.notes().items()):
            print(f'  {count} clip(s): {note}', file=stream)
        table = Path(out_root) / FAILURES_FILE
        if not failed:
            table.unlink(missing_ok=True)
            return
        print('failed clips by reason (they are left out of the split files):', file=stream)
        for category, count in Counter(r.category for r in failed).most_common():
            print(f'  {count:6d}  {category}', file=stream)
        for result in failed[:SHOWN_FAILURES]:
            print(f'  {result.clip_id}: {result.message}', file=stream)
        if len(failed) > SHOWN_FAILURES:
            print(f'  ... {len(failed) - SHOWN_FAILURES} more', file=stream)
        lines = ['clip\treason\tmessage'] + [
            f'{r.clip_id}\t{r.category}\t{" ".join(r.message.split())}' for r in failed]
        write_text(table, '\n'.join(lines) + '\n')
        print(f'full list: {table}', file=stream)


# Set in the parent before the pool forks, so workers inherit the converter's function
# (converters are scripts loaded by path: their functions cannot be pickled by reference).
_CONVERT: Optional[Callable] = None


def _convert_one(item) -> ClipResult:
    clip_id = str(item[0] if isinstance(item, tuple) else item)
    try:
        return _CONVERT(item)
    except ClipError as error:
        return ClipResult(clip_id, FAILED, error.category, error.message)
    except Exception as error:  # a run of thousands of clips must not die on one
        where = traceback.extract_tb(error.__traceback__)[-1]
        return ClipResult(clip_id, FAILED, UNEXPECTED,
                          f'{type(error).__name__}: {error} (at {Path(where.filename).name}:'
                          f'{where.lineno})')


def run_clips(items: Sequence[Hashable], convert: Callable[..., ClipResult], workers: int = 1,
              desc: str = 'clips', show_progress: bool = True) -> RunSummary:
    """Convert every item, in ``workers`` processes, with a progress bar.

    Args:
        items: One picklable item per clip (a clip id, or a tuple whose first element is it).
        convert: Converts one item and returns its :class:`ClipResult`; raises
            :class:`ClipError` (or anything else) when the clip cannot be converted.
        workers: Processes; 1 converts in this process.
        desc: Progress bar label.
        show_progress: Show the tqdm progress bar.

    Returns:
        The results, in the order of ``items``.
    """
    global _CONVERT
    if workers < 1:
        raise ValueError(f'--workers must be at least 1, got {workers}')
    order = {id_: index for index, id_ in enumerate(_ids(items))}
    results, failed = [], 0
    bar = tqdm(total=len(items), desc=desc, unit='clip', disable=not show_progress,
               dynamic_ncols=True)
    _CONVERT = convert
    try:
        if workers == 1 or len(items) <= 1:
            stream = map(_convert_one, items)
            pool = None
        else:
            # fork: the workers inherit _CONVERT and the converter's module state.
            pool = multiprocessing.get_context('fork').Pool(min(workers, len(items)))
            stream = pool.imap_unordered(_convert_one, items, chunksize=1)
        try:
            for result in stream:
                results.append(result)
                bar.update(1)
                if result.status == FAILED:
                    failed += 1
                    bar.set_postfix(failed=failed)
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
    finally:
        _CONVERT = None
        bar.close()
    results.sort(key=lambda result: order[result.clip_id])
    return RunSummary(results)


def _ids(items: Sequence) -> list[str]:
    ids = [str(item[0] if isinstance(item, tuple) else item) for item in items]
    if len(set(ids)) != len(ids):
        repeated = [id_ for id_, count in Counter(ids).items() if count > 1][:5]
        raise ValueError(f'clip ids must be unique, repeated: {repeated}')
    return ids


def add_common_arguments(parser: argparse.ArgumentParser, jpeg_quality: int) -> None:
    """The options every audio-visual converter takes.

    Args:
        parser: The converter's parser.
        jpeg_quality: The dataset's default JPEG quality (that of its public frames).
    """
    parser.add_argument('--workers', type=int, default=1,
                        help='processes converting clips in parallel (default 1)')
    parser.add_argument('--jpeg-quality', type=int, default=jpeg_quality,
                        help=f'JPEG quality of the frames (default {jpeg_quality}, that of the '
                             'public frames)')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    parser.add_argument('--verify', action='store_true',
                        help='only check an existing OUT_ROOT (files the configs read, counts '
                             'per split and class); convert nothing')


def write_splits(out_root: Path, splits: Mapping[str, Sequence[tuple]], succeeded: set,
                 stream=None) -> bool:
    """Write each split file with the rows of the clips that converted; report the rest.

    Args:
        out_root: The output root.
        splits: File name → ``(clip_id, line)`` rows in order (``line`` without newline).
        succeeded: Ids of the clips whose outputs are complete.
        stream: Where to print (default stdout).

    Returns:
        Whether every split file got at least one row.
    """
    stream = stream or sys.stdout
    all_kept = True
    for file_name, rows in splits.items():
        kept = [line for clip_id, line in rows if clip_id in succeeded]
        path = Path(out_root) / file_name
        write_text(path, ''.join(line + '\n' for line in kept))
        dropped = len(rows) - len(kept)
        print(f'{path}: {len(kept)} clips'
              + (f' ({dropped} rows dropped: their clips failed, see above)' if dropped else ''),
              file=stream)
        all_kept = all_kept and bool(kept)
    return all_kept


def run_conversion(name: str, items: Sequence[Hashable], convert: Callable[..., ClipResult],
                   splits: Mapping[str, Sequence[tuple]], args: argparse.Namespace) -> int:
    """A converter's last step: convert every clip, report the run, write the split files.

    Args:
        name: Dataset name (progress bar label and report header).
        items: One item per clip, as :func:`run_clips` takes them.
        convert: Converts one item (see :func:`run_clips`).
        splits: File name → ``(clip_id, line)`` rows, as :func:`write_splits` takes them.
        args: The parsed command line of :func:`add_common_arguments` (``workers``,
            ``no_progress``) and its ``out_root``.

    Returns:
        The exit status: 0 when every split file got at least one row, else 1.
    """
    summary = run_clips(items, convert, args.workers, desc=name,
                        show_progress=not args.no_progress)
    summary.report(name, args.out_root)
    return 0 if write_splits(args.out_root, splits, summary.succeeded_ids) else 1
