"""Read a sample manifest: a CSV file with a header row, or JSON lines (one object a line).

A manifest lists one sample per row; every column is a string (a path relative to the data
root, inline text, a class name or index, a split or group name). Nothing in it is executed:
CSV is parsed by :mod:`csv`, JSON lines by :func:`json.loads`, and nested values are refused.
"""
import csv
import json
import os.path as osp
from dataclasses import dataclass
from typing import Union

from fdkd_mm.errors import DataError

JSON_SUFFIXES = ('.jsonl', '.ndjson', '.json')


@dataclass
class ManifestRow:
    """One sample of a manifest.

    Attributes:
        line: Its line number in the file (the header is line 1 of a CSV), for messages.
        values: Column name -> value as text (missing cells are empty strings).
    """
    line: int
    values: dict


def read_manifest(path: str) -> tuple[list[str], list[ManifestRow]]:
    """Parse a CSV or JSON-lines manifest.

    Args:
        path: The manifest; ``.jsonl`` / ``.ndjson`` / ``.json`` are JSON lines, anything
            else CSV with a header row.

    Returns:
        The column names (CSV header order; for JSON lines, first-seen order) and the rows.

    Raises:
        DataError: The file is missing, empty, not UTF-8, has a malformed line, a row with
            more cells than the header, or a nested JSON value (names the line).
    """
    if not osp.isfile(path):
        raise DataError(f'manifest not found: {path}')
    try:
        with open(path, encoding='utf-8-sig', newline='') as handle:
            text = handle.read()
    except UnicodeDecodeError as error:
        raise DataError(f'manifest {path} is not UTF-8 text ({error})') from error
    if osp.splitext(path)[1].lower() in JSON_SUFFIXES:
        columns, rows = _read_json_lines(path, text)
    else:
        columns, rows = _read_csv(path, text)
    if not rows:
        raise DataError(f'manifest {path} lists no sample')
    return columns, rows


def _read_csv(path: str, text: str) -> tuple[list[str], list[ManifestRow]]:
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header or not any(name.strip() for name in header):
        raise DataError(f'manifest {path} is empty; expected a header row naming the columns')
    header = [name.strip() for name in header]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DataError(f'manifest {path}: header names columns {duplicates} twice')
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) > len(header):
            raise DataError(f'manifest {path} line {line}: {len(cells)} cells, the header '
                            f'names {len(header)} columns {header}')
        cells = cells + [''] * (len(header) - len(cells))
        rows.append(ManifestRow(line, {name: cell.strip() for name, cell in zip(header, cells)}))
    return header, rows


def _read_json_lines(path: str, text: str) -> tuple[list[str], list[ManifestRow]]:
    columns, rows = [], []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as error:
            raise DataError(f'manifest {path} line {line}: not JSON ({error})') from error
        if not isinstance(obj, dict):
            raise DataError(f'manifest {path} line {line}: expected a JSON object per line, '
                            f'got {type(obj).__name__}')
        values = {}
        for key, value in obj.items():
            if isinstance(value, (dict, list)):
                raise DataError(f'manifest {path} line {line}, column {key!r}: nested values '
                                'are not supported (give a path or a string)')
            values[str(key)] = '' if value is None else str(value)
            if str(key) not in columns:
                columns.append(str(key))
        rows.append(ManifestRow(line, values))
    for row in rows:
        for name in columns:
            row.values.setdefault(name, '')
    return columns, rows


def column_name(columns: list[str], column: Union[str, int], what: str, path: str) -> str:
    """Resolve a column given by name or by index into the header.

    Args:
        columns: The manifest's columns.
        column: A name, or a 0-based index into ``columns``.
        what: What the column is for (``'label'``, ``'modality rgb'``), for the message.
        path: The manifest, for the message.

    Returns:
        The column's name.

    Raises:
        DataError: No such column.
    """
    if isinstance(column, int) and not isinstance(column, bool):
        if 0 <= column < len(columns):
            return columns[column]
        raise DataError(f'manifest {path}: {what} column index {column} is out of range; the '
                        f'manifest has {len(columns)} columns {columns}')
    if column not in columns:
        raise DataError(f'manifest {path}: missing {what} column {column!r}; it has {columns}')
    return column
