"""Load a depth map stored as a uint16 PNG in millimetres (NYU-Depth V2 layout)."""
from typing import Optional, Sequence

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform

from fdkd_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadDepthFromFile(BaseTransform):
    """Read ``results['depth_path']`` into ``results[key]`` as float32 metres, shape (H, W).

    The key is appended to ``results['seg_fields']``, so mmseg's ``Resize`` (hence
    ``RandomResize`` with ``resize_type='mmseg.Resize'``), ``RandomCrop`` and ``RandomFlip``
    give it exactly the geometry of the image. They resize seg fields with nearest
    interpolation, which keeps every depth value a measured one instead of blending the
    foreground and background depths across object edges. Photometric transforms
    (``PhotoMetricDistortion``) read and write ``results['img']`` only and leave depth alone.

    Load it *before* any geometric transform, including the test-time ``Resize``: depth is a
    network input and must stay the size of the image (labels, in contrast, are loaded after
    the test-time resize so that evaluation happens at the original resolution).

    Note:
        mmcv's own ``Resize`` (what ``RandomResize`` builds by default when the default scope
        is not ``mmseg``) resizes ``gt_seg_map`` only and ignores other seg fields, so use
        ``dict(type='RandomResize', resize_type='mmseg.Resize', ...)``. The packing
        transform checks that all modalities kept the image size and fails otherwise.

    Args:
        depth_scale: Raw units per metre (1000 for millimetres).
        max_depth: Depths beyond this many metres are clipped to it (NYU's Kinect range ends
            near 10 m).
        key: Results key that receives the depth map.
        backend_args: Arguments of the MMEngine file backend.
        path_keys: Results keys of the file, the first present one read. A depth-only
            config adds ``'img_path'``, which the toolboxes' inference APIs fill from the file
            they are given.
    """

    def __init__(self, depth_scale: float = 1000.0, max_depth: float = 10.0,
                 key: str = 'depth', backend_args: Optional[dict] = None,
                 path_keys: Sequence[str] = ('depth_path', )) -> None:
        if depth_scale <= 0 or max_depth <= 0:
            raise ValueError(f'depth_scale and max_depth must be positive, got {depth_scale} '
                             f'and {max_depth}')
        self.depth_scale = float(depth_scale)
        self.max_depth = float(max_depth)
        self.key = key
        self.backend_args = backend_args.copy() if backend_args else None
        self.path_keys = tuple(path_keys)

    def transform(self, results: dict) -> dict:
        """Load the depth map and register it as a seg field.

        Args:
            results: Pipeline results holding ``depth_path``.

        Returns:
            ``results`` with ``results[key]`` (float32 metres, (H, W)) and ``key`` listed in
            ``results['seg_fields']``; ``img_shape`` and ``ori_shape`` when no image set them.

        Raises:
            ValueError: The file is not a single-channel uint16 image.
        """
        present = [key for key in self.path_keys if results.get(key)]
        if not present:
            raise KeyError(f'LoadDepthFromFile reads one of {list(self.path_keys)}; the sample '
                           f'has {sorted(results)}')
        path = results[present[0]]
        raw = mmcv.imfrombytes(fileio.get(path, backend_args=self.backend_args),
                               flag='unchanged', backend='cv2')
        if raw is None or raw.dtype != np.uint16 or raw.ndim != 2:
            got = 'undecodable data' if raw is None else f'dtype {raw.dtype}, shape {raw.shape}'
            raise ValueError(f'depth map {path} must be a single-channel uint16 PNG '
                             f'(depth in millimetres), got {got}')
        depth = raw.astype(np.float32) / self.depth_scale
        np.minimum(depth, self.max_depth, out=depth)
        results[self.key] = depth
        # Without an image (a depth-only input) the depth map sets the geometry mmseg's
        # packing and prediction read, as LoadImageFromFile does for images.
        results.setdefault('img_shape', depth.shape[:2])
        results.setdefault('ori_shape', depth.shape[:2])
        seg_fields = results.setdefault('seg_fields', [])
        if self.key not in seg_fields:
            seg_fields.append(self.key)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(depth_scale={self.depth_scale}, '
                f'max_depth={self.max_depth}, key={self.key!r})')
