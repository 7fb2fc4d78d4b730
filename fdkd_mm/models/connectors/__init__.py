"""Heads and connectors between recorded features and the distillation losses."""
from .projection import ProjectionConnector
from .shared_head import SharedHead, head_losses, resize_labels

__all__ = ['ProjectionConnector', 'SharedHead', 'head_losses', 'resize_labels']
