"""Run an image backbone on video clips by folding the frames into the batch."""
from typing import Optional, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from fdkd_mm.registry import MODELS


@MODELS.register_module()
class FrameFoldingBackbone(BaseModule):
    """(N, C, T, H, W) clips → any image backbone on N·T frames → stages as (N, C', T, h, w).

    Frames are folded sample-major (frame ``t`` of sample ``n`` is image ``n * T + t``), so a
    recorder hooked inside the image backbone sees (N·T, C', h, w) features whose first axis
    unfolds with ``view(N, T, ...)``. Every output stage is unfolded to (N, C', T, h, w): an
    mmpretrain ``GlobalAveragePooling(dim=3)`` neck then averages over time and space, which is
    how the public AV code pools its visual ResNet-18 (no custom neck needed).

    The image backbone is the submodule ``backbone``; in an ``ImageClassifier`` the last
    ResNet-18 block's final ReLU is ``backbone.backbone.layer4.1.relu``.

    Args:
        backbone: Config of a registered image backbone (e.g.
            ``dict(type='mmpretrain.ResNet', depth=18)``; a scope prefix builds the whole
            subtree in that scope) or a built module.
        init_cfg: MMEngine init config of the wrapper (the wrapped backbone keeps its own).
    """

    def __init__(self, backbone: Union[dict, nn.Module], init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.backbone = MODELS.build(backbone)

    @property
    def out_indices(self):
        """The wrapped backbone's output stages (mmpretrain's analysis tools read them)."""
        return self.backbone.out_indices

    def forward(self, clips: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Fold, run the image backbone, unfold every output stage.

        Args:
            clips: (N, C, T, H, W).

        Returns:
            Tuple of (N, C', T, h, w) tensors, one per backbone output stage.
        """
        if clips.ndim != 5:
            raise ValueError(f'FrameFoldingBackbone expects clips (N, C, T, H, W), got shape '
                             f'{tuple(clips.shape)}')
        num, channels, frames, height, width = clips.shape
        images = clips.transpose(1, 2).reshape(num * frames, channels, height, width)
        outputs = self.backbone(images)
        if isinstance(outputs, torch.Tensor):
            outputs = (outputs,)
        return tuple(self._unfold(out, num, frames) for out in outputs)

    @staticmethod
    def _unfold(out: torch.Tensor, num: int, frames: int) -> torch.Tensor:
        """(N·T, C', ...) → (N, C', T, ...)."""
        return out.reshape(num, frames, *out.shape[1:]).transpose(1, 2)
