"""Audio-visual classification datasets (CREMA-D, AVE, VGGSound) in the public AV layouts."""
from .ave import AVEDataset
from .base import AudioVisualDataset
from .cremad import CremaDDataset
from .vggsound import VGGSoundDataset

__all__ = ['AudioVisualDataset', 'AVEDataset', 'CremaDDataset', 'VGGSoundDataset']
