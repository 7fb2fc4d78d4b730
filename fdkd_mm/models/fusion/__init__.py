"""Multimodal (fusion) networks: the teacher of the "MM -> m" setting."""
from .classifier import FusionClassifier
from .feature_fusion import FUSION_MODES, FeatureFusion

__all__ = ['FUSION_MODES', 'FeatureFusion', 'FusionClassifier']
