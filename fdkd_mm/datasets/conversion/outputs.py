"""Converter outputs written under a temporary name and renamed, so a kill never leaves half.

Every output (a wav, a ``.npy`` array, a split file, a whole folder of frames) is written to
``.<name>.tmp-<pid>`` next to its final path and renamed when complete (``os.replace``, atomic
on one file system). An output under its final name is therefore complete, and a rerun skips
it; the leftovers of a killed run are removed before the output is written again.
"""
import os
import shutil
from pathlib import Path
from typing import Callable, Sequence, Union

import cv2
import numpy as np
from scipy.io import wavfile

PathLike = Union[str, Path]
TMP_MARK = '.tmp-'
FRAME_NAME = 'frame_{:05d}.jpg'  # 1-based, as the public AVE frames (frame_00001.jpg ...)


def temp_path(final: Path) -> Path:
    """The temporary name of ``final`` for this process."""
    return final.parent / f'.{final.name}{TMP_MARK}{os.getpid()}'


def remove_leftovers(final: Path) -> None:
    """Delete temporaries of ``final`` left by killed runs (files or folders)."""
    if not final.parent.is_dir():
        return
    prefix = f'.{final.name}{TMP_MARK}'
    for name in os.listdir(final.parent):
        if name.startswith(prefix):
            stale = final.parent / name
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


def write_atomic(final: PathLike, write: Callable[[Path], None], is_dir: bool = False) -> None:
    """Write ``final`` through ``write(temporary_path)`` and rename it into place.

    Args:
        final: The output path.
        write: Writes the complete output to the path it is given (for ``is_dir``, a folder
            that exists and is empty).
        is_dir: The output is a folder.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(final)
    tmp = temp_path(final)
    if is_dir:
        tmp.mkdir()
    try:
        write(tmp)
        os.replace(tmp, final)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def write_frames(frame_dir: PathLike, frames: Sequence[np.ndarray], quality: int) -> None:
    """Write RGB frames as ``frame_00001.jpg`` ... into a new folder, atomically.

    Args:
        frame_dir: The clip's frame folder.
        frames: RGB uint8 arrays (H, W, 3).
        quality: JPEG quality (0-100; libjpeg through OpenCV).
    """
    def fill(folder: Path) -> None:
        for index, rgb in enumerate(frames, start=1):
            ok, data = cv2.imencode('.jpg', np.ascontiguousarray(rgb[..., ::-1]),
                                    [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
            if not ok:
                raise ValueError(f'JPEG encoding of frame {index} for {frame_dir} failed')
            (folder / FRAME_NAME.format(index)).write_bytes(data.tobytes())

    write_atomic(frame_dir, fill, is_dir=True)


def write_wav(path: PathLike, samples: np.ndarray, sample_rate: int) -> None:
    """Write 16-bit PCM samples (mono (L,) or (L, channels)) as a wav, atomically."""
    write_atomic(path, lambda tmp: wavfile.write(tmp, sample_rate,
                                                 np.asarray(samples, dtype=np.int16)))


def write_npy(path: PathLike, array: np.ndarray) -> None:
    """Write ``array`` in numpy's ``.npy`` format to ``path``, atomically.

    ``.npy`` holds the array's bytes only (no pickled objects), so reading it with
    ``allow_pickle=False`` runs no code from the file.
    """
    def save(tmp: Path) -> None:
        with open(tmp, 'wb') as f:  # a file object: np.save would add .npy to the tmp name
            np.save(f, np.asarray(array), allow_pickle=False)

    write_atomic(path, save)


def write_text(path: PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path``, atomically; a file that holds it already is kept.

    Keeping an unchanged file lets a rerun leave a finished layout untouched.
    """
    path = Path(path)
    if path.is_file() and path.read_text(encoding='utf-8') == text:
        return
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding='utf-8'))


def copy_file(source: PathLike, path: PathLike) -> None:
    """Copy ``source`` to ``path``, atomically (nothing to do when both are the same file)."""
    source, path = Path(source), Path(path)
    if path.exists() and os.path.samefile(source, path):
        return
    write_atomic(path, lambda tmp: shutil.copyfile(source, tmp))
