"""Training hooks of fdkd_mm."""
from .nonfinite_guard import NonFiniteLossGuardHook

__all__ = ['NonFiniteLossGuardHook']
