"""Pack the modalities of a manifest sample into ``inputs`` and its label into a data sample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from fdkd_mm.errors import DataError
from fdkd_mm.registry import TRANSFORMS
from .load_modality import where_in_manifest

TASKS = ('cls', 'seg')
META_KEYS = ('sample_idx', 'sample_id', 'row', 'group', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'seg_map_path', 'reduce_zero_label')


def modality_tensor(array: np.ndarray, kind: str, channels: int) -> torch.Tensor:
    """One modality as the tensor its network takes.

    Args:
        array: The loaded (and transformed) modality.
        kind: Its kind.
        channels: Channels a one-channel pixel map (grey, depth) is repeated to.

    Returns:
        ``image`` (3, H, W) uint8 BGR; ``grey`` / ``depth`` (channels, H, W); ``npy`` as
        stored, a 2-D array as (1, H, W); ``video`` (3, T, H, W) uint8; ``audio`` (1, F, T)
        float32; ``text`` (2, L) int64.
    """
    array = np.asarray(array)
    if kind in ('grey', 'depth', 'npy') and array.ndim == 2:
        array = array[None]
        if kind != 'npy' and channels > 1:
            array = np.broadcast_to(array, (channels, *array.shape[1:]))
    elif kind == 'image':
        array = array.transpose(2, 0, 1)
    elif kind == 'video':
        array = array.transpose(3, 0, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(array))


@TRANSFORMS.register_module()
class PackModalityInputs(BaseTransform):
    """Pack a ``ManifestDataset`` sample: ``inputs = {modality: tensor}`` (or one plain tensor
    with ``plain_inputs=True`` for a single-modality model) and an mmpretrain ``DataSample``
    (classification) or mmseg ``SegDataSample`` (segmentation) holding the label.

    Args:
        modalities: Modalities to pack (a sequence of names).
        task: ``'cls'`` or ``'seg'``.
        plain_inputs: Pack the single modality as a bare tensor.
        channels: Channels a one-channel pixel map is repeated to (3 fits ImageNet stems).
        meta_keys: Keys copied into the data sample's metainfo when present.
    """

    def __init__(self, modalities: Sequence[str], task: str = 'cls',
                 plain_inputs: bool = False, channels: int = 3,
                 meta_keys: Sequence[str] = META_KEYS) -> None:
        if isinstance(modalities, str):
            modalities = (modalities, )
        self.modalities = tuple(modalities)
        if not self.modalities:
            raise ValueError('PackModalityInputs needs at least one modality')
        if task not in TASKS:
            raise ValueError(f'task must be one of {TASKS}, got {task!r}')
        if plain_inputs and len(self.modalities) != 1:
            raise ValueError(f'plain_inputs packs exactly one modality, got {self.modalities}')
        self.task = task
        self.plain_inputs = plain_inputs
        self.channels = channels
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack one sample.

        Args:
            results: The sample with every modality loaded.

        Returns:
            ``dict(inputs=..., data_samples=...)``.

        Raises:
            DataError: A modality was not loaded, or (segmentation) a pixel modality and the
                label map differ in size (names the row).
        """
        kinds = results.get('modality_kinds') or {}
        missing = [name for name in self.modalities if name not in results]
        if missing:
            raise DataError(f'cannot pack {missing}: load them with fdkd_mm.LoadModality '
                            f'first (the sample has {sorted(results)})')
        inputs = {name: modality_tensor(results[name], kinds.get(name, 'npy'), self.channels)
                  for name in self.modalities}
        sample = self._seg_sample(results, inputs) if self.task == 'seg' else \
            self._cls_sample(results)
        packed = inputs[self.modalities[0]] if self.plain_inputs else inputs
        return dict(inputs=packed, data_samples=sample)

    def _cls_sample(self, results: dict):
        from mmpretrain.structures import DataSample
        sample = DataSample()
        if 'gt_label' in results:
            sample.set_gt_label(results['gt_label'])
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return sample

    def _seg_sample(self, results: dict, inputs: dict):
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        sample = SegDataSample()
        if 'gt_seg_map' in results:
            label = results['gt_seg_map']
            if results.get('img_shape') and tuple(label.shape[:2]) == tuple(
                    results['img_shape'][:2]):
                for name, tensor in inputs.items():
                    if tuple(tensor.shape[-2:]) != tuple(label.shape[:2]):
                        raise DataError(
                            f'{where_in_manifest(results, name)}: {name} is '
                            f'{tuple(tensor.shape[-2:])}, its label map {label.shape[:2]}: '
                            'pixel modalities must be aligned (add ResizeModalities)')
            sample.gt_sem_seg = PixelData(data=torch.from_numpy(label[None].astype(np.int64)))
        meta = {k: results[k] for k in self.meta_keys if k in results}
        meta.setdefault('pad_shape', results.get('img_shape'))
        sample.set_metainfo(meta)
        return sample

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(modalities={self.modalities}, task={self.task!r}, '
                f'plain_inputs={self.plain_inputs})')
