"""Pack tokenized text and/or an image with a classification label for mmpretrain models."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.structures import DataSample

from fdkd_mm.registry import TRANSFORMS

MODALITIES = ('text', 'image')


def pack_text(results: dict) -> torch.Tensor:
    """Stack ``input_ids`` and ``attention_mask`` into one LongTensor of shape ``(2, L)``.

    One tensor per modality keeps the generic per-modality machinery (collate, data
    preprocessors, ``inputs[modality]``) working for text unchanged.
    """
    for key in ('input_ids', 'attention_mask'):
        if key not in results:
            raise KeyError(f'text packing needs {key!r}; add fdkd_mm.TokenizeText to the '
                           'pipeline before packing')
    tokens = np.stack([results['input_ids'], results['attention_mask']])
    return torch.from_numpy(tokens.astype(np.int64, copy=False))


def pack_image(results: dict) -> torch.Tensor:
    """Turn the HWC (or HW) uint8 ``img`` into a contiguous CHW tensor, dtype kept.

    Channel order stays as loaded (BGR with mmcv's loader); the data preprocessor's
    ``to_rgb`` flips it, as for any mmpretrain image model.
    """
    if 'img' not in results:
        raise KeyError('image packing needs "img"; add LoadImageFromFile to the pipeline')
    img = results['img']
    if img.ndim == 2:
        img = img[..., None]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


@TRANSFORMS.register_module()
class PackTextImageInputs(BaseTransform):
    """Pack a CrisisMMD-style sample into ``dict(inputs=..., data_samples=DataSample)``.

    ``inputs`` is a dict, e.g. ``dict(text=LongTensor (2, L) = [input_ids; attention_mask],
    image=uint8 Tensor (3, H, W))`` for a distiller. With ``plain_inputs=True`` and one modality
    it is that modality's tensor alone, which an ordinary ``mmpretrain.ImageClassifier``
    consumes directly: the convention every packing transform of fdkd_mm follows
    (``PackMultiModalSegInputs``, ``PackAudioVisualInputs``).

    Args:
        modalities: A sequence drawn from ``('text', 'image')``.
        plain_inputs: Pack the single modality as a plain tensor.
        meta_keys: Keys copied into the data sample's metainfo when present.
    """

    def __init__(self,
                 modalities: Sequence[str] = MODALITIES,
                 plain_inputs: bool = False,
                 meta_keys: Sequence[str] = ('sample_idx', 'tweet_id', 'image_id', 'img_path',
                                             'ori_shape', 'img_shape', 'flip',
                                             'flip_direction')) -> None:
        if isinstance(modalities, str):
            raise TypeError(f'modalities={modalities!r} must be a sequence: write '
                            f'modalities=({modalities!r},), plain_inputs=True for plain '
                            'single-modality inputs (as every packing transform takes them)')
        names = list(modalities)
        unknown = [name for name in names if name not in MODALITIES]
        if unknown or not names:
            raise ValueError(f'modalities must be drawn from {MODALITIES}, got {modalities!r}')
        if plain_inputs and len(names) != 1:
            raise ValueError(f'plain_inputs=True packs a single modality, got {names}')
        self.plain_inputs = bool(plain_inputs)
        self.modalities = tuple(names)
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack one sample.

        Args:
            results: The sample dict after loading / tokenizing / augmenting.

        Returns:
            ``dict(inputs=..., data_samples=DataSample)``.
        """
        packers = dict(text=pack_text, image=pack_image)
        inputs = {name: packers[name](results) for name in self.modalities}
        data_sample = DataSample()
        if 'gt_label' in results:
            data_sample.set_gt_label(results['gt_label'])
        data_sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        packed_inputs = inputs[self.modalities[0]] if self.plain_inputs else inputs
        return dict(inputs=packed_inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(modalities={self.modalities!r}, '
                f'plain_inputs={self.plain_inputs})')
