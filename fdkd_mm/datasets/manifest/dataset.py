"""A dataset of any modalities, listed in a manifest (CSV or JSON lines), one row per sample.

Example manifest (``data_root/manifest.csv``)::

    id,depth,rgb,label,split,group
    0001,depth/0001.png,rgb/0001.jpg,kitchen,train,scene_03
    0002,depth/0002.png,rgb/0002.jpg,office,val,scene_07

with ``dict(type='fdkd_mm.ManifestDataset', data_root='data/mine', ann_file='manifest.csv',
modalities=dict(depth='depth', rgb='rgb'), split='train')``. Every problem of the manifest is
collected and raised as one :class:`~fdkd_mm.errors.DataError` naming row, column and file, so
``tools/check_data.py`` shows them all at once.
"""
import os.path as osp
import re
from typing import Optional, Sequence, Union

from mmengine.dataset import BaseDataset

from fdkd_mm.errors import DataError
from fdkd_mm.registry import DATASETS
from ..safe_paths import resolve_inside
from .kinds import KINDS, default_kind, is_file_like
from .reading import ManifestRow, column_name, read_manifest

TASKS = ('cls', 'seg')
#: Problems listed in one error before the rest are counted.
MAX_LISTED = 50


def _natural_key(name: str) -> list:
    """``'2' < '10'``, ``'a2' < 'a10'``: digit runs compare as numbers."""
    return [(0, int(part), '') if part.isdigit() else (1, 0, part)
            for part in re.split(r'(\d+)', name) if part]


def read_class_file(path: str) -> tuple[str, ...]:
    """Class names from a text file, one a line (blank lines and ``#`` comments skipped).

    Args:
        path: The file.

    Returns:
        The names in file order.

    Raises:
        DataError: The file is missing, empty or names a class twice.
    """
    if not osp.isfile(path):
        raise DataError(f'class file not found: {path}')
    with open(path, encoding='utf-8') as handle:
        names = [line.strip() for line in handle
                 if line.strip() and not line.lstrip().startswith('#')]
    if not names:
        raise DataError(f'class file {path} names no class')
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise DataError(f'class file {path} names {twice} twice')
    return tuple(names)


def _modality_specs(modalities: Union[Sequence[str], dict]) -> dict:
    """``{name: dict(column=..., kind=...)}`` from the config's shorthand forms."""
    if isinstance(modalities, str):
        modalities = [modalities]
    if not isinstance(modalities, dict):
        modalities = {name: name for name in modalities}
    specs = {}
    for name, spec in modalities.items():
        spec = dict(column=spec) if isinstance(spec, (str, int)) else dict(spec)
        spec.setdefault('column', name)
        spec.setdefault('kind', 'auto')
        if spec['kind'] not in (*KINDS, 'auto'):
            raise DataError(f'modality {name!r}: kind {spec["kind"]!r} is not one of '
                            f'{("auto", *KINDS)}')
        specs[name] = spec
    if not specs:
        raise DataError('ManifestDataset needs at least one modality')
    return specs


@DATASETS.register_module()
class ManifestDataset(BaseDataset):
    """Samples of several modalities listed in a CSV / JSON-lines manifest.

    Each data info holds, per modality ``name``: ``<name>_path`` (a file or frame folder
    inside ``data_root``) or ``<name>_text`` (inline text), ``modality_kinds`` (name -> kind)
    and ``modality_columns`` (name -> column); the label as ``gt_label`` (classification) or
    ``seg_map_path`` (segmentation); ``sample_id``, ``group``, ``split`` and, for messages,
    ``manifest`` and ``row`` (the line in the manifest). The pipeline loads each modality with
    ``fdkd_mm.LoadModality``.

    Args:
        ann_file: The manifest, relative to ``data_root`` or absolute (the config's choice,
            trusted); ``.jsonl`` / ``.ndjson`` / ``.json`` read as JSON lines, else CSV.
        modalities: Modality names; a dict maps each to its column (name or 0-based index)
            or to ``dict(column=..., kind=...)`` with a kind of
            :data:`~fdkd_mm.datasets.manifest.kinds.KINDS` (``'auto'``: by the file type of
            the first row, a cell that is no known file type being text).
        task: ``'cls'`` (the label is a class name or index) or ``'seg'`` (a label-map path).
        label_column: The label's column, by name or index; None for unlabelled data.
        classes: Class names, or a class-file path (one a line; relative to ``data_root``).
            Defaults to the labels found in the whole manifest (all splits), naturally
            sorted; segmentation needs them given.
        split: Keep the rows whose ``split_column`` holds this value; None keeps all.
        split_column: The split's column.
        group_column: Optional column of a group (speaker, scene, recording) kept as
            ``group`` for group-disjoint parts.
        id_column: Optional column of unique sample ids (else the first modality's cell).
        check_files: Require every listed file or folder to exist at load time.
        allow_outside: Allow absolute paths and ``..`` escapes from ``data_root``; None follows
            the ``FDKD_ALLOW_OUTSIDE_DATA_ROOT`` switch.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset` (``pipeline``,
            ``test_mode``, ``metainfo``, ``indices``, ...).
    """

    def __init__(self, ann_file: str, modalities: Union[Sequence[str], dict],
                 data_root: str = '', task: str = 'cls',
                 label_column: Optional[Union[str, int]] = 'label',
                 classes: Optional[Union[str, Sequence[str]]] = None,
                 split: Optional[str] = None, split_column: Union[str, int] = 'split',
                 group_column: Optional[Union[str, int]] = 'group',
                 id_column: Optional[Union[str, int]] = 'id', check_files: bool = True,
                 allow_outside: Optional[bool] = None, metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if task not in TASKS:
            raise DataError(f'task must be one of {TASKS}, got {task!r}')
        self.task = task
        self.modality_specs = _modality_specs(modalities)
        self.label_column = label_column
        self.split = split
        self.split_column = split_column
        self.group_column = group_column
        self.id_column = id_column
        self.check_files = check_files
        self.allow_outside = allow_outside
        self._classes_arg = classes
        self.problems: list[str] = []
        metainfo = dict(metainfo or {})
        super().__init__(ann_file=ann_file, data_root=data_root, metainfo=metainfo,
                         **kwargs)

    # -- loading -----------------------------------------------------------------------

    def load_data_list(self) -> list[dict]:
        """Read and validate the manifest; every problem found is raised at once.

        Returns:
            The data infos of the selected split.

        Raises:
            DataError: Missing columns, paths outside ``data_root``, missing files, duplicate
                ids, labels outside the class list, an unknown split column (all listed).
        """
        columns, rows = read_manifest(self.ann_file)
        problems = []
        names = self._resolve_columns(columns, problems)
        if problems:
            self._raise(problems)
        classes = self._classes(rows, names)
        self._metainfo['classes'] = classes
        if self.task == 'seg' and 'palette' not in self._metainfo:
            self._metainfo['palette'] = [[(37 * i) % 256, (97 * i) % 256, (173 * i) % 256]
                                         for i in range(len(classes))]
        kinds = self._kinds(rows, names, problems)
        class_index = {name: index for index, name in enumerate(classes)}
        seen_ids, data_list = {}, []
        for row in rows:
            info = self._parse_row(row, names, kinds, class_index, seen_ids, problems)
            if info is not None and (self.split is None
                                     or row.values.get(names['split'], '') == self.split):
                data_list.append(info)
        if problems:
            self._raise(problems)
        if not data_list:
            found = sorted({row.values.get(names['split'], '') for row in rows})
            raise DataError(f'manifest {self.ann_file}: no row has split {self.split!r} in '
                            f'column {names["split"]!r} (found {found})')
        return data_list

    def _raise(self, problems: list[str]) -> None:
        self.problems = problems
        listed = problems[:MAX_LISTED]
        more = len(problems) - len(listed)
        raise DataError(f'manifest {self.ann_file}: {len(problems)} problem(s):\n  '
                        + '\n  '.join(listed) + (f'\n  ... and {more} more' if more else ''))

    def _resolve_columns(self, columns: list[str], problems: list[str]) -> dict:
        """Column names of every role (``None`` for optional columns that are absent)."""
        names = {}

        def resolve(key, column, what, optional=False):
            if column is None or (optional and isinstance(column, str)
                                  and column not in columns):
                names[key] = None
                return
            try:
                names[key] = column_name(columns, column, what, self.ann_file)
            except DataError as error:
                problems.append(str(error).split(': ', 1)[1])

        for name, spec in self.modality_specs.items():
            resolve(('modality', name), spec['column'], f'modality {name!r}')
        resolve('label', self.label_column, 'label')
        resolve('split', self.split_column, 'split', optional=self.split is None)
        resolve('group', self.group_column, 'group', optional=True)
        resolve('id', self.id_column, 'id', optional=True)
        return names

    def _classes(self, rows: list[ManifestRow], names: dict) -> tuple[str, ...]:
        given = self._metainfo.get('classes') or self._classes_arg
        if isinstance(given, str):
            path = given if osp.isabs(given) or not self.data_root else osp.join(
                self.data_root, given)
            return read_class_file(path)
        if given:
            return tuple(str(name) for name in given)
        if self.task == 'seg':
            raise DataError(f'manifest {self.ann_file}: segmentation needs the class names '
                            '(classes=[...] or a class file): label maps do not name them')
        if names['label'] is None:
            return ()
        found = {row.values[names['label']] for row in rows} - {''}
        return tuple(sorted(found, key=_natural_key))

    def _kinds(self, rows: list[ManifestRow], names: dict, problems: list[str]) -> dict:
        """Each modality's kind: the configured one, or by the first row's file."""
        kinds = {}
        for name, spec in self.modality_specs.items():
            if spec['kind'] != 'auto':
                kinds[name] = spec['kind']
                continue
            column = names[('modality', name)]
            for row in rows:  # the first row whose cell resolves decides (bad rows report)
                value = row.values[column]
                try:
                    full = resolve_inside(self.data_root, value,
                                          allow_outside=self.allow_outside)
                except DataError:
                    continue
                if value and (osp.exists(full) or not self.check_files):
                    try:
                        kinds[name] = default_kind(value, full)
                    except DataError as error:
                        problems.append(f'row {row.line}, column {column!r}: {error}')
                        kinds[name] = 'image'
                    break
                if value and not is_file_like(value):  # inline text
                    kinds[name] = 'text'
                    break
            else:
                problems.append(f'column {column!r} (modality {name!r}): no row names an '
                                'existing file, cannot tell its kind (set kind=...)')
        return kinds

    def _parse_row(self, row: ManifestRow, names: dict, kinds: dict, class_index: dict,
                   seen_ids: dict, problems: list[str]) -> Optional[dict]:
        """One row as a data info, or None after recording its problems."""
        before = len(problems)
        where = f'row {row.line}'
        # Without an id column, the first modality's cell names the sample (its file): unique
        # across manifests, unlike a row number (the unpaired bank compares ids).
        first = names[('modality', next(iter(self.modality_specs)))]
        sample_id = row.values[names['id']] if names['id'] else row.values[first]
        if names['id']:
            if not sample_id:
                problems.append(f'{where}, column {names["id"]!r}: empty sample id')
            elif sample_id in seen_ids:
                problems.append(f'{where}, column {names["id"]!r}: duplicate sample id '
                                f'{sample_id!r} (first on row {seen_ids[sample_id]})')
            else:
                seen_ids[sample_id] = row.line
        info = dict(sample_id=sample_id, row=row.line, manifest=self.ann_file,
                    group=row.values[names['group']] if names['group'] else '',
                    split=row.values[names['split']] if names['split'] else '',
                    modality_kinds=dict(kinds),
                    modality_columns={name: names[('modality', name)] for name in kinds})
        for name, kind in kinds.items():
            column = names[('modality', name)]
            value = row.values[column]
            if not value:
                problems.append(f'{where}, column {column!r}: empty cell (modality {name!r})')
            elif kind == 'text':
                info[f'{name}_text'] = value
            else:
                info[f'{name}_path'] = self._path(value, where, column, problems)
        self._parse_label(row, names, class_index, info, problems)
        return info if len(problems) == before else None

    def _path(self, value: str, where: str, column: str, problems: list[str]) -> str:
        try:
            path = resolve_inside(self.data_root, value, allow_outside=self.allow_outside)
        except DataError as error:
            problems.append(f'{where}, column {column!r}: {error}')
            return ''
        if self.check_files and not osp.exists(path):
            problems.append(f'{where}, column {column!r}: file not found: {path}')
        return path

    def _parse_label(self, row: ManifestRow, names: dict, class_index: dict, info: dict,
                     problems: list[str]) -> None:
        column = names['label']
        if column is None:
            return
        value = row.values[column]
        where = f'row {row.line}, column {column!r}'
        if self.task == 'seg':
            if not value:
                problems.append(f'{where}: empty label-map path')
                return
            info['seg_map_path'] = self._path(value, f'row {row.line}', column, problems)
            info['reduce_zero_label'] = False
            info['seg_fields'] = []
            info['num_classes'] = len(class_index)
            return
        if value in class_index:
            info['gt_label'] = class_index[value]
        elif value.isdigit() and int(value) < len(class_index) and not any(
                name.isdigit() for name in class_index):
            info['gt_label'] = int(value)  # an index into named classes
        else:
            shown = list(class_index)[:20]
            problems.append(f'{where}: label {value!r} is not in the class list {shown}'
                            + (' ...' if len(class_index) > 20 else ''))
