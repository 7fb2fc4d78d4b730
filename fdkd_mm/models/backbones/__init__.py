"""Modality adapters around registered backbones."""
from .frame_folding import FrameFoldingBackbone  # noqa: F401
from .text_encoder import HFTextEncoder  # noqa: F401
