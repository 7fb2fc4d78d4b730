"""MST-Distill's split index files: read, checked against the data on disk, cut into splits.

MST-Distill (arXiv 2507.07015) publishes one CSV per dataset (``metadata/<name>_indices.csv``,
e.g. ``RAVDESS_indices.csv``) with a header ``group_0,group_1,...`` and one row per sample: column
``group_<k>`` is a permutation of the sample positions ``0 .. N-1`` of the dataset's arrays,
drawn for experiment (seed) ``k``. Their loader takes the first 60 % of a column as the training
split, the next 20 % as validation and the last 20 % as test (``int(N * 0.6)``,
``int(N * 0.8)``). The file comes from others: it is parsed as text (no code runs from it), and a
position that is not a sample on disk, a repeated position or a malformed row is a
:class:`~fdkd_mm.errors.DataError` naming the file and line.
"""
import csv

from fdkd_mm.errors import DataError

#: Where the training split ends and the validation split ends, as fractions of a column.
TRAIN_END, VAL_END = 0.6, 0.8
SPLITS = ('train', 'val', 'test')


def read_index_column(path: str, group: int, num_samples: int) -> list[int]:
    """One column of an index file, every entry checked (:func:`read_index_rows`)."""
    return [index for index, _ in read_index_rows(path, group, num_samples)]


def read_index_rows(path: str, group: int, num_samples: int) -> list[tuple[int, int]]:
    """One column of an index file with the line of each entry, every entry checked.

    Args:
        path: The index file.
        group: The column ``group_<group>``.
        num_samples: How many samples the data on disk holds (positions ``0 .. N-1``).

    Returns:
        ``(position, line)`` of each entry, in file order.

    Raises:
        DataError: The file is missing or empty, has no such column, a row has a different
            number of fields than the header, an entry is not an integer, names a sample that
            is not on disk, or repeats an earlier one (the line is named).
    """
    column = f'group_{group}'
    try:
        f = open(path, newline='', encoding='utf-8')
    except OSError as error:
        raise DataError(f'MST-Distill index file {path}: {error.strerror}') from None
    with f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise DataError(f'{path} line 1: empty index file (expected a header group_0,...)')
        header = [name.strip() for name in header]
        if column not in header:
            raise DataError(f'{path} line 1: no column {column!r} (columns: '
                            f'{", ".join(header)})')
        where = header.index(column)
        indices: list[tuple[int, int]] = []
        first_line: dict[int, int] = {}
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise DataError(f'{path} line {line}: {len(row)} fields, the header has '
                                f'{len(header)}')
            value = row[where].strip()
            try:
                index = int(value)
            except ValueError:
                raise DataError(f'{path} line {line}: {column} is {value!r}, not a sample '
                                'position') from None
            if not 0 <= index < num_samples:
                raise DataError(f'{path} line {line}: sample {index} of {column} is not on '
                                f'disk (the data holds {num_samples} samples, 0 to '
                                f'{num_samples - 1})')
            if index in first_line:
                raise DataError(f'{path} line {line}: sample {index} of {column} repeats '
                                f'line {first_line[index]}')
            first_line[index] = line
            indices.append((index, line))
    return indices


def split_of(indices: list, split: str) -> list:
    """The part of a column that is ``split`` (60 / 20 / 20, in column order).

    Args:
        indices: A column (:func:`read_index_column` or :func:`read_index_rows`).
        split: ``'train'``, ``'val'`` or ``'test'``.

    Returns:
        Its entries.
    """
    if split not in SPLITS:
        raise DataError(f'MST-Distill split must be one of {SPLITS}, got {split!r}')
    total = len(indices)
    train_end, val_end = int(total * TRAIN_END), int(total * VAL_END)
    return dict(train=indices[:train_end], val=indices[train_end:val_end],
                test=indices[val_end:])[split]
