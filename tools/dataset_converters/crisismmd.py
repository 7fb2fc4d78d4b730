"""Check (and finish setting up) a CrisisMMD v2.0 folder for ``CrisisMMDDataset``.

CrisisMMD needs no conversion: the configs read the official files. The download is the
dataset archive ``CrisisMMD_v2.0.tar.gz`` (the ``CrisisMMD_v2.0`` folder with ``data_image/``)
and, separately, the benchmark split archives ``crisismmd_datasplit_all.zip`` and
``crisismmd_datasplit_agreed_label.zip``, which must be unpacked inside that folder.

``DATA_ROOT`` is that folder (the configs' ``data/CrisisMMD_v2.0``). ``--splits-zip ZIP ...``
unpacks split archives into it (each member checked to stay inside, the folder renamed into
place when complete). The check then builds ``CrisisMMDDataset`` for every task, split set and
split whose TSV is there (the configs' default, informative / all, must be), prints the pairs
per split and class, and opens every image once (in ``--workers`` processes): missing or
undecodable images are listed. Such images can also be skipped while training with
``skip_bad_samples=True`` in the dataset config.

Usage::

    python tools/dataset_converters/crisismmd.py data/CrisisMMD_v2.0 \
        --splits-zip crisismmd_datasplit_all.zip crisismmd_datasplit_agreed_label.zip
"""
import argparse
import os
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Optional, Sequence

from fdkd_mm.datasets.crisismmd import (SPLITS, TASK_CLASSES, default_ann_file,
                                        image_file_problems)
from fdkd_mm.datasets.conversion.outputs import remove_leftovers, temp_path
from fdkd_mm.datasets.conversion.verify import verify_layout

DEFAULT = ('all', 'informative')  # the configs' split set and task


def extract_splits(archive: Path, data_root: Path) -> list[str]:
    """Unpack a split archive into ``data_root``; return the folders it added.

    The archive is unpacked into a temporary folder first (``zipfile`` keeps every member
    inside it), then each top-level folder is renamed into place; folders that exist already
    are kept, so a rerun changes nothing. An archive without a top-level folder is unpacked
    into one named after it (``crisismmd_datasplit_all.zip`` → ``crisismmd_datasplit_all/``).

    Raises:
        FileNotFoundError: The archive does not exist.
        ValueError: It is not a zip archive.
    """
    if not archive.is_file():
        raise FileNotFoundError(f'split archive not found: {archive}')
    if not zipfile.is_zipfile(archive):
        raise ValueError(f'{archive} is not a zip archive')
    data_root.mkdir(parents=True, exist_ok=True)
    staging = temp_path(data_root / archive.stem)
    remove_leftovers(data_root / archive.stem)
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(staging)
        shutil.rmtree(staging / '__MACOSX', ignore_errors=True)  # macOS zip metadata
        entries = list(staging.iterdir())
        if entries and all(path.is_file() for path in entries):
            moves = [(staging, data_root / archive.stem)]  # loose TSVs: the archive's folder
        else:
            moves = [(path, data_root / path.name) for path in entries if path.is_dir()]
        made = []
        for source, final in moves:
            if not final.exists():
                os.replace(source, final)
                made.append(final.name)
        return made
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def image_problems(info: dict) -> list:
    """A pair's image: present and decodable (the dataset's own rule)."""
    return image_file_problems(info['img_path'])


def check(data_root: Path, workers: int, show_progress: bool) -> int:
    """Build every present split TSV, print counts, check every image once."""
    from fdkd_mm.datasets import CrisisMMDDataset

    if not (data_root / 'data_image').is_dir():
        nested = data_root / 'CrisisMMD_v2.0'
        hint = (f'; it holds {nested}: use that folder as DATA_ROOT (the configs read '
                'data/CrisisMMD_v2.0)' if nested.is_dir() else
                ': DATA_ROOT must be the CrisisMMD_v2.0 folder of the download')
        print(f'error: {data_root / "data_image"} not found{hint}', file=sys.stderr)
        return 1
    builders, absent = {}, []
    for split_set, tasks in TASK_CLASSES.items():
        for task in tasks:
            for split in SPLITS:
                tsv = default_ann_file(task, split, split_set)
                if not (data_root / tsv).is_file():
                    absent.append((split_set, task, tsv))
                    continue
                builders[f'{split_set}/{task}/{split}'] = (
                    lambda s=split_set, t=task, p=split: CrisisMMDDataset(
                        data_root=str(data_root), split=p, task=t, split_set=s,
                        check_files=False))
    for split_set, task, tsv in absent:
        print(f'not present: {tsv} (needed for task={task!r}, split_set={split_set!r})')
    missing_default = [tsv for split_set, task, tsv in absent if (split_set, task) == DEFAULT]
    code = verify_layout('CrisisMMD', builders, image_problems, workers, show_progress,
                         key=lambda info: info['img_path'], unit='pairs')
    if missing_default:
        print(f'error: the configs\' default split files are missing: {missing_default}; '
              'unpack crisismmd_datasplit_all.zip into DATA_ROOT (--splits-zip)',
              file=sys.stderr)
        return 1
    return code


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line (``argv`` without the program name; ``None``: ``sys.argv``)."""
    parser = argparse.ArgumentParser(
        description='Check a CrisisMMD v2.0 folder (split TSVs, images) for CrisisMMDDataset.')
    parser.add_argument('data_root', type=Path, help='the CrisisMMD_v2.0 folder')
    parser.add_argument('--splits-zip', type=Path, nargs='+', default=[],
                        help='split archives to unpack into DATA_ROOT first')
    parser.add_argument('--workers', type=int, default=1, help='processes opening images')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Unpack split archives if given, then check.

    Returns:
        0 when the configs' default splits build and every image decodes, else 1.
    """
    args = parse_args(argv)
    try:
        for archive in args.splits_zip:
            made = extract_splits(archive, args.data_root)
            print(f'{archive}: unpacked {made or "nothing new"} into {args.data_root}')
    except (FileNotFoundError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    return check(args.data_root, args.workers, not args.no_progress)


if __name__ == '__main__':
    from fdkd_mm.tool_errors import run_tool
    run_tool(main)
