"""Batch packed token tensors without casting them to float."""
from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from fdkd_mm.registry import MODELS


@MODELS.register_module()
class TextDataPreprocessor(BaseDataPreprocessor):
    """Stack per-sample ``(2, L)`` token tensors into ``(N, 2, L)`` and move them to device.

    mmpretrain's ``ClsDataPreprocessor`` normalises and casts inputs to float, which would
    corrupt token ids; this one keeps them int64. Data samples are moved to the device too.

    Args:
        batch_augments: Accepted because ``mmpretrain.ImageClassifier`` forwards its
            ``train_cfg`` here as ``batch_augments``; mixing token ids is meaningless, so
            anything but ``None`` is refused.
    """

    def __init__(self, batch_augments: Optional[dict] = None) -> None:
        super().__init__()
        if batch_augments is not None:
            raise ValueError('TextDataPreprocessor does not support batch augments '
                             f'(got {batch_augments!r}); remove train_cfg.augments')

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stack and move one batch.

        Args:
            data: ``dict(inputs=list of (2, L) LongTensors or an (N, 2, L) tensor,
                data_samples=...)`` from the dataloader.
            training: Unused; text gets no batch-level augmentation.

        Returns:
            ``dict(inputs=LongTensor (N, 2, L) on the device, data_samples=...)``.
        """
        inputs: Union[torch.Tensor, Sequence[torch.Tensor]] = data['inputs']
        if not isinstance(inputs, torch.Tensor):
            shapes = {tuple(item.shape) for item in inputs}
            if len(shapes) != 1:
                raise ValueError(f'token tensors of a batch differ in shape {sorted(shapes)}; '
                                 'give TokenizeText one fixed max_length')
            inputs = torch.stack(list(inputs))
        if inputs.is_floating_point():
            raise TypeError(f'token ids must be integers, got {inputs.dtype}')
        data = dict(data, inputs=inputs.long())
        return self.cast_data(data)
