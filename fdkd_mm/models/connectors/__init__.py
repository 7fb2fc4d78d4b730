"""Connectors: trainable maps between a recorded tensor and a distillation loss."""
from .identity import IdentityConnector
from .ofd import OFDConnector
from .projection import ProjectionConnector

__all__ = ['IdentityConnector', 'OFDConnector', 'ProjectionConnector']
