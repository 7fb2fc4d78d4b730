"""A neck that flattens feature maps: for classifiers whose head reads every position."""
from typing import Union

import torch
from torch import nn

from fdkd_mm.registry import MODELS


@MODELS.register_module()
class FlattenNeck(nn.Module):
    """(N, C, h, w) maps → (N, C·h·w) vectors (MST-Distill's three-layer audio CNN feeds its
    classifier this way, where mmpretrain's necks would pool)."""

    def forward(self, inputs: Union[torch.Tensor, tuple]) -> Union[torch.Tensor, tuple]:
        """Flatten a tensor, or each tensor of a tuple (a backbone's stages)."""
        if isinstance(inputs, tuple):
            return tuple(x.flatten(1) for x in inputs)
        return inputs.flatten(1)
