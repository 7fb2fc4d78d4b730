"""Packing of audio-visual samples: modalities into ``inputs``, the label into a DataSample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.structures import DataSample

from fdkd_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackAudioVisualInputs(BaseTransform):
    """Pack modalities into ``inputs`` and the label into an mmpretrain ``DataSample``.

    ``inputs`` is ``{key: tensor}``: spectrograms stay (1, F, T) float32, frame stacks in
    ``video_keys`` become (3, T, H, W) uint8. With ``plain_inputs=True`` and one key, ``inputs``
    is that tensor itself, so an ordinary ``mmpretrain.ImageClassifier`` trains on it (the
    unimodal "Uni" teachers and students).

    Args:
        keys: Modalities to pack, e.g. ``('audio', 'visual')``.
        video_keys: Which of them are (T, H, W, 3) frame stacks.
        plain_inputs: Pack the single modality as a plain tensor.
        meta_keys: Result keys copied into the data sample's metainfo when present.
    """

    def __init__(self, keys: Sequence[str] = ('audio', 'visual'),
                 video_keys: Sequence[str] = ('visual',), plain_inputs: bool = False,
                 meta_keys: Sequence[str] = ('sample_idx', 'clip_id', 'label_name',
                                             'frame_inds', 'img_shape', 'flip')) -> None:
        self.keys = tuple(keys)
        if not self.keys:
            raise ValueError('PackAudioVisualInputs needs at least one key')
        if plain_inputs and len(self.keys) != 1:
            raise ValueError(f'plain_inputs packs exactly one modality, got keys {self.keys}')
        self.video_keys = tuple(video_keys)
        self.plain_inputs = plain_inputs
        self.meta_keys = tuple(meta_keys)

    def _to_tensor(self, key: str, value) -> torch.Tensor:
        if key in self.video_keys:
            frames = np.asarray(value)
            if frames.ndim != 4 or frames.shape[-1] != 3:
                raise ValueError(f'"{key}" should be frames (T, H, W, 3), got {frames.shape}')
            return torch.from_numpy(np.ascontiguousarray(frames.transpose(3, 0, 1, 2)))
        return torch.as_tensor(np.asarray(value) if not torch.is_tensor(value) else value)

    def transform(self, results: dict) -> dict:
        """Build ``dict(inputs=..., data_samples=DataSample)``.

        Args:
            results: Transformed sample with every key of ``keys`` and ``gt_label``.

        Returns:
            The packed sample.
        """
        missing = [key for key in self.keys if key not in results]
        if missing:
            raise KeyError(f'cannot pack {missing}: the pipeline produced {sorted(results)}')
        inputs = {key: self._to_tensor(key, results[key]) for key in self.keys}
        sample = DataSample()
        if 'gt_label' in results:
            sample.set_gt_label(results['gt_label'])
        sample.set_metainfo({key: results[key] for key in self.meta_keys if key in results})
        packed = inputs[self.keys[0]] if self.plain_inputs else inputs
        return dict(inputs=packed, data_samples=sample)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(keys={self.keys}, video_keys={self.video_keys}, '
                f'plain_inputs={self.plain_inputs})')
