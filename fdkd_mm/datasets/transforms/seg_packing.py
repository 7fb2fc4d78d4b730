"""Pack pixel-aligned modalities (RGB-D) and a segmentation label for a segmentor."""
from typing import Mapping, Optional, Sequence

import numpy as np
import torch
from mmseg.datasets.transforms import PackSegInputs

from fdkd_mm.registry import TRANSFORMS

#: mmseg's ``PackSegInputs`` meta keys plus the path of the depth map and the dataset index
#: (``sample_idx``, by which a teacher cache keys its rows).
MULTIMODAL_SEG_META_KEYS = ('sample_idx', 'img_path', 'seg_map_path', 'depth_path', 'ori_shape',
                            'img_shape', 'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                            'reduce_zero_label')


@TRANSFORMS.register_module()
class PackMultiModalSegInputs(PackSegInputs):
    """Pack several pixel-aligned modalities as ``inputs`` plus one ``SegDataSample``.

    The data sample (``gt_sem_seg`` and meta information) is built by mmseg's
    ``PackSegInputs`` itself; only ``inputs`` differs. Each modality becomes a (C, H, W)
    tensor: the image keeps the dtype and BGR channel order mmseg loads it in (uint8), and
    single-channel maps (depth, float32 metres) are repeated to ``depth_channels`` channels so
    that a 3-channel, ImageNet-pretrained stem takes them unchanged. Normalisation (depth
    mean/std in metres included) is left to the data preprocessor, e.g.
    ``dict(type='mmseg.SegDataPreProcessor', mean=[m] * 3, std=[s] * 3, bgr_to_rgb=False)``
    for depth, with ``m, s`` = the training-split statistics that
    ``tools/dataset_converters/nyu_depth_v2.py`` prints for the real data; 4.7 and 1.5 for the
    scenes of ``write_synthetic_nyu``; lacking both, 5.0 and 2.9 (a uniform spread over the
    0..10 m ``LoadDepthFromFile`` keeps). mmseg pads after normalising, so ``pad_val=0`` pads
    with the mean depth.

    Two output forms:

    * multi-modal (default): ``inputs = {name: tensor}``, e.g. ``{'rgb': ..., 'depth': ...}``
      for ``MultiModalDataPreprocessor`` and the distiller;
    * ``plain_inputs=True`` with exactly one modality: ``inputs`` is that tensor, which an
      ordinary ``mmseg.EncoderDecoder`` with an ``mmseg.SegDataPreProcessor`` trains on (the
      depth-only "Uni" teacher: ``modalities=dict(depth='depth'), plain_inputs=True``).

    All packed modalities (and ``img`` when present, the reference of mmseg's geometric
    transforms) must have the same height and width; otherwise a geometric transform skipped
    one of them and packing fails rather than train on misaligned pixels.

    Args:
        modalities: Output name -> results key. Defaults to ``dict(rgb='img', depth='depth')``.
        depth_channels: Number of channels a single-channel modality is repeated to (1 keeps
            it single-channel).
        plain_inputs: Pack the only modality as a bare tensor instead of a dict.
        meta_keys: Keys copied into the data sample's metainfo.
    """

    def __init__(self, modalities: Optional[Mapping[str, str]] = None,
                 depth_channels: int = 3, plain_inputs: bool = False,
                 meta_keys: Sequence[str] = MULTIMODAL_SEG_META_KEYS) -> None:
        super().__init__(meta_keys=tuple(meta_keys))
        if modalities is None:
            modalities = dict(rgb='img', depth='depth')
        if not modalities:
            raise ValueError('modalities must name at least one results key')
        if plain_inputs and len(modalities) != 1:
            raise ValueError('plain_inputs=True packs a single modality, got '
                             f'{sorted(modalities)}')
        if depth_channels < 1:
            raise ValueError(f'depth_channels must be >= 1, got {depth_channels}')
        self.modalities = dict(modalities)
        self.depth_channels = depth_channels
        self.plain_inputs = plain_inputs

    def transform(self, results: dict) -> dict:
        """Pack ``results`` into ``dict(inputs=..., data_samples=SegDataSample)``.

        Args:
            results: Pipeline results holding every key named in ``modalities``.

        Returns:
            Packed results; ``inputs`` is a dict of (C, H, W) tensors, or one tensor when
            ``plain_inputs`` is set.

        Raises:
            KeyError: A modality's results key is missing.
            ValueError: Modalities differ in height or width.
        """
        missing = [key for key in self.modalities.values() if key not in results]
        if missing:
            raise KeyError(f'{self.__class__.__name__}: results lack {missing} (have '
                           f'{sorted(results)}); load them earlier in the pipeline')
        self._check_same_size(results)
        packed = super().transform(results)  # packs results['img'] (if any) as mmseg does
        inputs = {}
        for name, key in self.modalities.items():
            if key == 'img' and 'inputs' in packed:
                inputs[name] = packed['inputs']
            else:
                inputs[name] = self._to_chw_tensor(results[key])
        packed['inputs'] = next(iter(inputs.values())) if self.plain_inputs else inputs
        return packed

    def _check_same_size(self, results: dict) -> None:
        keys = list(dict.fromkeys([*self.modalities.values(), 'img']))
        sizes = {key: results[key].shape[:2] for key in keys if key in results}
        if len(set(sizes.values())) > 1:
            raise ValueError(
                f'pixel-aligned modalities differ in size {sizes}: a geometric transform '
                'skipped some of them. Load depth before resizing/cropping, and let '
                "RandomResize build mmseg's Resize (resize_type='mmseg.Resize'), which "
                "resizes every key in results['seg_fields']")

    def _to_chw_tensor(self, array: np.ndarray) -> torch.Tensor:
        if array.ndim == 2:
            array = array[..., None]
        chw = array.transpose(2, 0, 1)
        if chw.shape[0] == 1 and self.depth_channels > 1:
            # One copy of a broadcast (np.repeat + transpose copied the map twice), in numpy:
            # a torch copy would go through the intra-op thread pool, 20x slower on a busy
            # machine when the pipeline runs in the main process (tools/analysis/
            # benchmark_data.py --threads 2).
            chw = np.broadcast_to(chw, (self.depth_channels, *chw.shape[1:]))
        return torch.from_numpy(np.ascontiguousarray(chw))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(modalities={self.modalities}, '
                f'depth_channels={self.depth_channels}, plain_inputs={self.plain_inputs}, '
                f'meta_keys={self.meta_keys})')
