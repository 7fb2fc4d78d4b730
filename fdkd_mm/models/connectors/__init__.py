"""Heads and connectors between recorded features and the distillation losses."""
from .projection import ProjectionConnector
from .shared_head import SharedHead, resize_labels

__all__ = ['ProjectionConnector', 'SharedHead', 'resize_labels']
