"""Data preprocessor for clips of frames (3, T, H, W)."""
from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from fdkd_mm.registry import MODELS

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


@MODELS.register_module()
class VideoDataPreprocessor(BaseDataPreprocessor):
    """Stack (C, T, H, W) clips into (N, C, T, H, W) floats and normalise per channel.

    mmpretrain's ``ClsDataPreprocessor`` keeps its mean as (C, 1, 1), which does not broadcast
    over a time axis; this one normalises along channel dim 1 of the batch. Data samples pass
    through untouched (labels need no batching for classification).

    Args:
        mean: Per-channel mean on the 0–255 scale (ImageNet by default); ``None`` skips
            normalisation.
        std: Per-channel std, same scale.
        to_rgb: Reverse the channel order (for BGR-loaded frames; ``fdkd_mm.LoadFrames`` loads
            RGB already, so the default is ``False``).
        non_blocking: Passed to MMEngine's device transfer.
        batch_augments: Must be ``None``: ``mmpretrain.ImageClassifier`` passes its
            ``train_cfg`` here, and batch mixing (Mixup/CutMix) is not supported for clips.
    """

    def __init__(self, mean: Optional[Sequence[float]] = IMAGENET_MEAN,
                 std: Optional[Sequence[float]] = IMAGENET_STD, to_rgb: bool = False,
                 non_blocking: bool = False, batch_augments: Optional[dict] = None) -> None:
        super().__init__(non_blocking)
        if batch_augments is not None:
            raise ValueError(f'VideoDataPreprocessor does not support batch_augments, got '
                             f'{batch_augments}')
        if (mean is None) != (std is None):
            raise ValueError('give both mean and std, or neither')
        self._normalize = mean is not None
        if self._normalize:
            if len(mean) != len(std):
                raise ValueError(f'mean has {len(mean)} channels, std {len(std)}')
            # Buffers follow the model to its device; not persistent, so checkpoints stay clean.
            self.register_buffer('mean', torch.tensor(mean).view(1, -1, 1, 1, 1), False)
            self.register_buffer('std', torch.tensor(std).view(1, -1, 1, 1, 1), False)
        self.to_rgb = to_rgb

    def forward(self, data: dict, training: bool = False) -> dict:
        """Batch, cast to float, normalise.

        Args:
            data: ``dict(inputs=list of (C, T, H, W) tensors or an (N, C, T, H, W) tensor,
                data_samples=...)``.
            training: Unused (no batch augmentation).

        Returns:
            ``dict(inputs=(N, C, T, H, W) float tensor, data_samples=...)``.
        """
        data = self.cast_data(data)
        inputs = self._stack(data['inputs'])
        if self.to_rgb:
            inputs = inputs.flip(1)
        inputs = inputs.float()
        if self._normalize:
            if inputs.shape[1] != self.mean.shape[1]:
                raise ValueError(f'clips have {inputs.shape[1]} channels, mean/std '
                                 f'{self.mean.shape[1]}')
            inputs = (inputs - self.mean) / self.std
        return dict(inputs=inputs, data_samples=data.get('data_samples'))

    @staticmethod
    def _stack(inputs: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
        """(N, C, T, H, W) from a batch tensor or a list of equal-shaped clips."""
        if isinstance(inputs, torch.Tensor):
            if inputs.ndim != 5:
                raise ValueError(f'expected clips (N, C, T, H, W), got {tuple(inputs.shape)}')
            return inputs
        shapes = {tuple(clip.shape) for clip in inputs}
        if len(shapes) != 1 or len(next(iter(shapes))) != 4:
            raise ValueError(f'expected equal-shaped (C, T, H, W) clips, got shapes '
                             f'{sorted(shapes)}; resize/crop frames to one size in the pipeline')
        return torch.stack(list(inputs))
