"""Classifier heads on band features: FD-CMKD's shared heads Φ_l / Φ_h and auxiliary heads."""
from .shared_head import SharedHead, head_losses, stacked_logits

__all__ = ['SharedHead', 'head_losses', 'stacked_logits']
