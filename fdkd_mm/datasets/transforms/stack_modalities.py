"""Stack pixel-aligned modalities into one multi-channel map (early fusion, e.g. RGB-D)."""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from fdkd_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class StackModalities(BaseTransform):
    """Concatenate the channels of several results keys into ``out_key``, (H, W, C) float32.

    Place it after every geometric and photometric transform, just before packing, so the
    stacked map is exactly the modalities the other networks see. mmseg loads images in BGR
    order: ``to_rgb`` names the keys whose 3 channels are reversed first, so the stacked map is
    RGB-D (a data preprocessor does not convert channel order of a 4-channel input).

    Args:
        keys: Results keys stacked in this order, each (H, W) or (H, W, C).
        out_key: Where the stacked map goes.
        to_rgb: Keys reversed from BGR to RGB before stacking.

    Raises:
        ValueError: The maps differ in height or width (named with their sizes).
    """

    def __init__(self, keys: Sequence[str] = ('img', 'depth'), out_key: str = 'rgbd',
                 to_rgb: Sequence[str] = ('img', )) -> None:
        if len(keys) < 2:
            raise ValueError(f'StackModalities stacks two keys or more, got {list(keys)}')
        self.keys = tuple(keys)
        self.out_key = out_key
        self.to_rgb = tuple(to_rgb)

    def transform(self, results: dict) -> dict:
        """Add ``results[out_key]``.

        Args:
            results: Pipeline results holding every key of ``keys``.

        Returns:
            ``results`` with the stacked (H, W, sum of channels) float32 map.
        """
        maps = []
        for key in self.keys:
            array = np.asarray(results[key], np.float32)
            array = array[..., None] if array.ndim == 2 else array
            if key in self.to_rgb:
                array = array[..., ::-1]
            maps.append(array)
        sizes = {key: m.shape[:2] for key, m in zip(self.keys, maps)}
        if len(set(sizes.values())) > 1:
            raise ValueError(f'cannot stack modalities of different sizes {sizes}')
        results[self.out_key] = np.concatenate(maps, axis=2)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(keys={self.keys}, out_key={self.out_key!r}, '
                f'to_rgb={self.to_rgb})')
