"""The small networks of MST-Distill's AV-MNIST protocol, as mmpretrain-style backbones.

MST-Distill (arXiv 2507.07015) runs AV-MNIST with small networks rather than ResNet-18:

* image (1 x 28 x 28): LeNet-5: 5 x 5 convolutions of 6 (padded by 2), 16 and 120 channels,
  ReLU, 2 x 2 average pooling after the first two; then a fully connected layer to 84 (ReLU)
  and the classifier (84 → classes).
* audio (1 x 112 x 112): a three-layer CNN: 3 x 3 convolutions of 32, 64 and 128 channels
  (padded by 1), each followed by ReLU and 2 x 2 max pooling, flattened (128 x 14 x 14) into
  the classifier.
* the multimodal teacher's audio branch: the same stack with 256 and 512 channels added (five
  convolutions, max pooling after the first four), average-pooled to 512.

Each backbone returns a one-element tuple of feature maps (N, C, h, w), as mmpretrain's
backbones do, so the configs pair them with a neck and a ``LinearClsHead``: LeNet-5's 84-wide
layer is its output as (N, 84, 1, 1) (``GlobalAveragePooling`` is then the identity and the
head is LeNet-5's last layer); the three-layer CNN's maps go through
:class:`~fdkd_mm.models.flatten_neck.FlattenNeck`.
"""
from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import nn

from fdkd_mm.registry import MODELS


@MODELS.register_module()
class LeNet5(BaseModule):
    """LeNet-5 up to its 84-wide layer.

    Args:
        in_channels: Input channels (1 for AV-MNIST's images).
        init_cfg: MMEngine init config.
    """

    def __init__(self, in_channels: int = 1, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.conv3 = nn.Conv2d(16, 120, kernel_size=5)
        self.fc1 = nn.Linear(120, 84)
        self.pool = nn.AvgPool2d(2)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        """(N, C, 28, 28) images → ((N, 84, 1, 1),)."""
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = self.relu(self.conv3(x))  # (N, 120, 1, 1) for 28 x 28 inputs
        x = self.relu(self.fc1(x.flatten(1)))
        return (x[:, :, None, None], )


@MODELS.register_module()
class PlainCNN(BaseModule):
    """3 x 3 convolutions, each followed by ReLU and (but the last ``no_pool_last`` ones)
    2 x 2 max pooling.

    ``channels=(32, 64, 128)`` is MST-Distill's three-layer audio CNN;
    ``channels=(32, 64, 128, 256, 512), no_pool_last=True`` its fusion teacher's audio branch.

    Args:
        channels: Output channels of each convolution.
        in_channels: Input channels.
        no_pool_last: Leave the last convolution's output unpooled.
        init_cfg: MMEngine init config.
    """

    def __init__(self, channels: tuple[int, ...] = (32, 64, 128), in_channels: int = 1,
                 no_pool_last: bool = False, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        layers = []
        for index, width in enumerate(channels):
            layers += [nn.Conv2d(in_channels, width, kernel_size=3, padding=1), nn.ReLU()]
            if not (no_pool_last and index == len(channels) - 1):
                layers.append(nn.MaxPool2d(2))
            in_channels = width
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        """(N, C, H, W) → ((N, channels[-1], h, w),)."""
        return (self.layers(x), )
