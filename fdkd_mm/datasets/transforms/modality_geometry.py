"""Resize and flip every pixel modality of a manifest sample (and its label map) together."""
from typing import Sequence, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from fdkd_mm.registry import TRANSFORMS
from ..manifest.kinds import PIXEL_KINDS


def _spatial_keys(results: dict) -> list[tuple[str, str]]:
    """(key, kind) of every loaded pixel / video modality, plus the label map."""
    keys = [(name, kind) for name, kind in (results.get('modality_kinds') or {}).items()
            if kind in (*PIXEL_KINDS, 'video') and name in results]
    if 'gt_seg_map' in results:
        keys.append(('gt_seg_map', 'label'))
    return keys


@TRANSFORMS.register_module()
class ResizeModalities(BaseTransform):
    """Resize every pixel modality (and frames, and the label map) to one size.

    Images and frames are interpolated bilinearly; depth / thermal maps and label maps take
    the nearest value, so each stays a measured value (or a class) instead of a blend across
    an object's edge. Pixel modalities come out pixel-aligned whatever sizes the files had.

    Args:
        scale: Output (width, height), or one int for a square.
        resize_labels: Also resize ``gt_seg_map`` (training); False keeps labels at their
            original size, which mmseg evaluates at (testing).
    """

    def __init__(self, scale: Union[int, Sequence[int]], resize_labels: bool = True) -> None:
        self.scale = (scale, scale) if isinstance(scale, int) else tuple(scale)
        self.resize_labels = resize_labels

    def transform(self, results: dict) -> dict:
        """Resize the modalities of one sample.

        Args:
            results: A sample with its modalities loaded.

        Returns:
            ``results`` resized; ``img_shape`` (h, w) and ``scale_factor`` set.
        """
        w, h = self.scale
        for key, kind in _spatial_keys(results):
            if kind == 'label' and not self.resize_labels:
                continue
            nearest = kind in ('depth', 'label')
            interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
            value = results[key]
            if kind == 'video':
                results[key] = np.stack([cv2.resize(f, (w, h), interpolation=interp)
                                         for f in value])
                continue
            dtype = value.dtype
            if dtype == np.int64:  # OpenCV cannot resize int64
                value = value.astype(np.int32)
            results[key] = cv2.resize(value, (w, h), interpolation=interp).astype(dtype)
        old_h, old_w = results.get('img_shape', (h, w))[:2]
        results['img_shape'] = (h, w)
        results['scale_factor'] = (w / old_w, h / old_h)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(scale={self.scale}, resize_labels={self.resize_labels})'


@TRANSFORMS.register_module()
class RandomFlipModalities(BaseTransform):
    """Flip every pixel modality, frame stack and label map horizontally, one draw per sample.

    Args:
        prob: Probability of the flip.
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        """Maybe flip the sample.

        Args:
            results: A sample with its modalities loaded.

        Returns:
            ``results``, with ``flip`` and ``flip_direction`` set.
        """
        flip = bool(np.random.rand() < self.prob)
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        if flip:
            for key, kind in _spatial_keys(results):
                axis = 2 if kind == 'video' else 1
                results[key] = np.ascontiguousarray(np.flip(results[key], axis=axis))
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'
