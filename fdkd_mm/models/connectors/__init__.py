"""Connectors: trainable maps between a recorded tensor and a distillation loss."""
from .identity import IdentityConnector
from .projection import ProjectionConnector

__all__ = ['IdentityConnector', 'ProjectionConnector']
