"""Atomic writes: a file appears under its final name complete, or not at all."""
import contextlib
import os
import os.path as osp
from collections.abc import Iterator


def default_file_mode() -> int:
    """The mode ``open(path, 'w')`` gives a new file: ``0o666`` less the process's umask.

    ``tempfile.mkstemp`` creates files with ``0o600``; a file renamed from one into place would
    stay unreadable to the other users of a shared machine, unlike any file the user writes.

    Returns:
        The permission bits.
    """
    mask = os.umask(0)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return 0o666 & ~mask


def fsync_path(path: str) -> None:
    """Flush a file (or a directory's entry table) to disk.

    Args:
        path: A file or a directory. Where a directory cannot be opened (some filesystems),
            nothing is flushed.
    """
    flags = os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0) if osp.isdir(path) else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:
        if osp.isdir(path):
            return
        raise
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def naming_the_file(path: str, what: str = 'checkpoint') -> Iterator[None]:
    """Re-raise an ``OSError`` (full disk, permissions) with the file being written, and remove
    the partial ``<path>.tmp`` so no half-written file is left behind.

    Args:
        path: The final path being written (its ``.tmp`` sibling is the partial file).
        what: What the file is, for the message.
    """
    try:
        yield
    except OSError as error:
        if osp.isfile(path + '.tmp'):
            os.remove(path + '.tmp')
        raise OSError(error.errno, f'cannot write {what} {path}: '
                      f'{error.strerror or error}', path) from error


def commit_tmp(final: str) -> None:
    """Make the complete ``<final>.tmp`` durable, rename it to ``final`` and flush the folder."""
    fsync_path(final + '.tmp')
    os.replace(final + '.tmp', final)
    fsync_path(osp.dirname(final) or '.')


def write_text_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``<path>.tmp``, flush it, then rename it over ``path``.

    Args:
        path: Destination file.
        text: Its whole content.
    """
    tmp = path + '.tmp'
    with naming_the_file(path, 'file'):
        with open(tmp, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
