"""Video-frame transforms.

Frames are kept as one uint8 array (T, H, W, 3), RGB, through the pipeline so that a random crop
or flip can be drawn once and applied to every frame of the clip; ``PackAudioVisualInputs``
turns it into the (3, T, H, W) tensor that ``fdkd_mm.VideoDataPreprocessor`` normalises and
``fdkd_mm.FrameFoldingBackbone`` folds into the batch.

As in the public AV code (OGM-GE, PMR, MMPareto): training frames get a random resized crop to
224 and a horizontal flip, test frames are resized to 224 × 224 (aspect ratio not kept), and the
ImageNet mean/std normalisation happens in the data preprocessor.
"""
import os
import os.path as osp
import re
from typing import Optional, Sequence, Union

import cv2
import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmpretrain.datasets.transforms import RandomResizedCrop

from fdkd_mm.registry import TRANSFORMS
from fdkd_mm.errors import DataError

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png')


class FrameDecodeError(DataError):
    """A frame of a clip cannot be read or decoded; the message names the clip and the file."""


def _natural_key(name: str) -> list:
    """Sort key comparing digit runs as numbers, so frame_2 < frame_10 without zero padding."""
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', name)]


def list_frames(frame_dir: str) -> list[str]:
    """Image files of a frame folder in temporal (natural) order.

    Args:
        frame_dir: Folder of one clip's frames.

    Returns:
        Sorted paths of its ``.jpg`` / ``.jpeg`` / ``.png`` files.

    Raises:
        FileNotFoundError: The folder does not exist or holds no image.
    """
    if not osp.isdir(frame_dir):
        raise FileNotFoundError(f'frame folder not found: {frame_dir}')
    names = [name for name in os.listdir(frame_dir) if name.lower().endswith(IMAGE_SUFFIXES)]
    if not names:
        raise FileNotFoundError(f'frame folder {frame_dir} holds no {IMAGE_SUFFIXES} image')
    return [osp.join(frame_dir, name) for name in sorted(names, key=_natural_key)]


def segment_indices(num_available: int, num_frames: int, random: bool) -> np.ndarray:
    """Pick ``num_frames`` of ``num_available`` frames, one per equal temporal segment.

    The clip is cut into ``num_frames`` equal segments; training takes a uniformly random frame
    of each segment, testing its middle frame. With fewer frames than segments, frames repeat.

    Args:
        num_available: Frames in the clip (> 0).
        num_frames: Frames wanted (T).
        random: Random pick per segment (training) instead of the centre.

    Returns:
        int64 indices of shape (num_frames,), non-decreasing.
    """
    edges = np.linspace(0, num_available, num_frames + 1)
    starts = np.floor(edges[:-1]).astype(np.int64)
    stops = np.maximum(np.floor(edges[1:]).astype(np.int64), starts + 1)
    if random:
        picks = np.array([np.random.randint(lo, hi) for lo, hi in zip(starts, stops)])
    else:
        picks = (starts + stops - 1) // 2
    return np.minimum(picks, num_available - 1).astype(np.int64)


@TRANSFORMS.register_module()
class SampleFrames(BaseTransform):
    """Choose T frames of ``results['frame_dir']`` (1 fps frames), one per temporal segment.

    Adds ``frame_paths`` (the chosen files, in order) and ``frame_inds``.

    Args:
        num_frames: T, frames per clip.
        random: Random frame per segment (training); ``False`` takes segment centres (test).
    """

    def __init__(self, num_frames: int = 3, random: bool = True) -> None:
        if num_frames < 1:
            raise ValueError(f'num_frames must be positive, got {num_frames}')
        self.num_frames = num_frames
        self.random = random

    def transform(self, results: dict) -> dict:
        """Sample frame paths of the clip.

        Args:
            results: Data info with ``frame_dir``.

        Returns:
            ``results`` with ``frame_paths`` and ``frame_inds``.
        """
        paths = list_frames(results['frame_dir'])
        inds = segment_indices(len(paths), self.num_frames, self.random)
        results['frame_inds'] = inds
        results['frame_paths'] = [paths[i] for i in inds]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_frames={self.num_frames}, random={self.random})'


@TRANSFORMS.register_module()
class LoadFrames(BaseTransform):
    """Read ``results['frame_paths']`` into one uint8 RGB array (T, H, W, 3).

    Args:
        out_key: Result key of the frames (the modality name in the packed inputs).
        backend_args: MMEngine file backend arguments.
    """

    def __init__(self, out_key: str = 'visual', backend_args: Optional[dict] = None) -> None:
        self.out_key = out_key
        self.backend_args = backend_args

    def _decode(self, path: str, clip: str) -> np.ndarray:
        """One frame as RGB; undecodable bytes are named here, not as an OpenCV assertion."""
        try:
            content = fileio.get(path, self.backend_args)
        except OSError as error:
            raise FrameDecodeError(f'clip {clip}: cannot read frame {path}: {error}') from error
        # Decoded in OpenCV's BGR order: asking mmcv for RGB converts before checking that
        # anything was decoded (cvtColor's "!_src.empty()" assertion, naming no file).
        try:
            frame = mmcv.imfrombytes(content, flag='color', channel_order='bgr') \
                if content else None
        except (OSError, ValueError, cv2.error):  # other mmcv backends raise instead
            frame = None
        if frame is None:
            raise FrameDecodeError(f'clip {clip}: frame {path} cannot be decoded (empty, '
                                   'truncated or not an image)')
        return np.ascontiguousarray(frame[..., ::-1])

    def transform(self, results: dict) -> dict:
        """Decode the chosen frames.

        Args:
            results: With ``frame_paths`` (from :class:`SampleFrames`).

        Returns:
            ``results`` with ``out_key`` (T, H, W, 3) uint8 and ``img_shape`` (H, W).

        Raises:
            FrameDecodeError: A frame is unreadable, undecodable or of another size than the
                clip's first; names the clip (``clip_id``) and the frame file.
        """
        clip = results.get('clip_id') or osp.basename(str(results.get('frame_dir', '?')))
        frames = []
        for path in results['frame_paths']:
            frame = self._decode(path, clip)
            if frames and frame.shape != frames[0].shape:
                raise FrameDecodeError(f'clip {clip}: frame {path} has shape {frame.shape}, the '
                                       f"clip's first frame {frames[0].shape}")
            frames.append(frame)
        results[self.out_key] = np.stack(frames)
        results['img_shape'] = frames[0].shape[:2]
        return results


@TRANSFORMS.register_module()
class FramesRandomResizedCrop(BaseTransform):
    """Random area/aspect crop resized to ``scale``, drawn once per clip by default.

    The crop parameters come from mmpretrain's ``RandomResizedCrop`` (Inception-style
    sampling). The public AV code draws them per frame (it applies a torchvision transform to
    each frame); ``same_for_all_frames=False`` does that.

    Args:
        scale: Output size, int or (h, w).
        crop_ratio_range: Range of the crop's area relative to the frame.
        aspect_ratio_range: Range of the crop's aspect ratio.
        same_for_all_frames: One crop for the whole clip.
        interpolation: ``mmcv.imresize`` interpolation.
        key: Result key of the frames.
    """

    def __init__(self, scale: Union[int, Sequence[int]] = 224,
                 crop_ratio_range: tuple = (0.08, 1.0),
                 aspect_ratio_range: tuple = (3. / 4., 4. / 3.),
                 same_for_all_frames: bool = True, interpolation: str = 'bilinear',
                 key: str = 'visual') -> None:
        self.sampler = RandomResizedCrop(scale=scale, crop_ratio_range=crop_ratio_range,
                                         aspect_ratio_range=aspect_ratio_range)
        self.scale = tuple(self.sampler.scale[::-1])  # mmpretrain keeps (h, w); mmcv wants (w, h)
        self.same_for_all_frames = same_for_all_frames
        self.interpolation = interpolation
        self.key = key

    def _crop_resize(self, frame: np.ndarray, params: tuple) -> np.ndarray:
        top, left, height, width = params
        crop = frame[top:top + height, left:left + width]
        return mmcv.imresize(crop, self.scale, interpolation=self.interpolation)

    def transform(self, results: dict) -> dict:
        """Crop and resize every frame of ``results[key]``.

        Args:
            results: With ``key`` (T, H, W, 3).

        Returns:
            ``results`` with ``key`` (T, h, w, 3) and ``img_shape`` (h, w).
        """
        frames = results[self.key]
        shared = self.sampler.rand_crop_params(frames[0]) if self.same_for_all_frames else None
        out = [self._crop_resize(frame, shared or self.sampler.rand_crop_params(frame))
               for frame in frames]
        results[self.key] = np.stack(out)
        results['img_shape'] = out[0].shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, '
                f'same_for_all_frames={self.same_for_all_frames})')


@TRANSFORMS.register_module()
class FramesResize(BaseTransform):
    """Resize every frame to ``scale`` (aspect ratio not kept, as the public test transform).

    Args:
        scale: Output size, int or (h, w).
        interpolation: ``mmcv.imresize`` interpolation.
        key: Result key of the frames.
    """

    def __init__(self, scale: Union[int, Sequence[int]] = 224, interpolation: str = 'bilinear',
                 key: str = 'visual') -> None:
        height, width = (scale, scale) if isinstance(scale, int) else scale
        self.scale = (width, height)  # mmcv order
        self.interpolation = interpolation
        self.key = key

    def transform(self, results: dict) -> dict:
        """Resize ``results[key]`` (T, H, W, 3) → (T, h, w, 3)."""
        out = [mmcv.imresize(frame, self.scale, interpolation=self.interpolation)
               for frame in results[self.key]]
        results[self.key] = np.stack(out)
        results['img_shape'] = out[0].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(scale={self.scale})'


@TRANSFORMS.register_module()
class FramesRandomFlip(BaseTransform):
    """Flip all frames of a clip horizontally with probability ``prob`` (one draw per clip).

    Args:
        prob: Flip probability.
        key: Result key of the frames.
    """

    def __init__(self, prob: float = 0.5, key: str = 'visual') -> None:
        self.prob = prob
        self.key = key

    def transform(self, results: dict) -> dict:
        """Maybe flip ``results[key]`` (T, H, W, 3) along W; records ``flip``."""
        flip = bool(np.random.rand() < self.prob)
        if flip:
            results[self.key] = np.ascontiguousarray(results[self.key][:, :, ::-1])
        results['flip'] = flip
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'
