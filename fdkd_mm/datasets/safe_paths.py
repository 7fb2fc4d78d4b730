"""Paths built from dataset files stay inside their data root.

Split lists, annotation files and manifests come from others; a row such as
``../../outside/secret`` or ``/etc/passwd`` must not make a loader read outside ``data_root``.
"""
import os
import os.path as osp
from typing import Optional, Union

from fdkd_mm.errors import DataError

#: Environment switch that allows rows to leave their root (for data trees assembled from
#: symlinks into other disks); documented in docs/reliability.md.
ALLOW_OUTSIDE_ENV = 'FDKD_ALLOW_OUTSIDE_DATA_ROOT'


def outside_root_allowed() -> bool:
    """Whether the user switched the containment check off for this process.

    Returns:
        True when ``FDKD_ALLOW_OUTSIDE_DATA_ROOT=1`` is set.
    """
    return os.environ.get(ALLOW_OUTSIDE_ENV, '') == '1'


def resolve_inside(root: str, relative: str, *, source: Optional[str] = None,
                   line: Optional[Union[int, str]] = None,
                   allow_outside: Optional[bool] = None) -> str:
    """Join a path read from a dataset file onto its root, refusing any escape.

    Args:
        root: The data root the path must stay under.
        relative: The path as written in the file (relative to ``root``).
        source: The file the path was read from, named in the error.
        line: Its line (or row) number in ``source``, named in the error.
        allow_outside: Allow escapes; None follows the ``FDKD_ALLOW_OUTSIDE_DATA_ROOT``
            environment switch.

    Returns:
        ``root`` joined with ``relative`` (not resolved: the caller's spelling is kept).

    Raises:
        DataError: ``relative`` is absolute, climbs out with ``..`` or resolves (through
            symlinks) to a place outside ``root``.
    """
    joined = osp.join(root, relative)
    if allow_outside is None:
        allow_outside = outside_root_allowed()
    if allow_outside:
        return joined
    where = ''
    if source is not None:
        where = f' in {source}' + (f' line {line}' if line is not None else '')
    if osp.isabs(relative):
        raise DataError(f'absolute path {relative!r}{where}: paths must be relative to the '
                        f'data root {root} (set {ALLOW_OUTSIDE_ENV}=1 to allow it)')
    real_root = osp.realpath(root)
    real = osp.realpath(joined)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise DataError(f'path {relative!r}{where} leaves the data root {root} (resolves to '
                        f'{real}; set {ALLOW_OUTSIDE_ENV}=1 to allow it)')
    return joined
