"""Audio-visual classification datasets (CREMA-D, AVE, VGGSound, RAVDESS), public AV layouts."""
from .ave import AVEDataset
from .base import AudioVisualDataset
from .cremad import CremaDDataset
from .ravdess import RAVDESSDataset
from .vggsound import VGGSoundDataset
from .vggsound_mst import MSTVGGSoundDataset

__all__ = ['AudioVisualDataset', 'AVEDataset', 'CremaDDataset', 'RAVDESSDataset',
           'VGGSoundDataset', 'MSTVGGSoundDataset']
