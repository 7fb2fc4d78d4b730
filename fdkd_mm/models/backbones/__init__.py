"""Modality adapters around registered backbones, and the small networks of MST-Distill."""
from .frame_folding import FrameFoldingBackbone  # noqa: F401
from .hf_encoder import HFAudioEncoder, HFVisionEncoder  # noqa: F401
from .text_encoder import HFTextEncoder  # noqa: F401
from .small_cnns import LeNet5, PlainCNN  # noqa: F401
