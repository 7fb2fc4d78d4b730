"""Engine components (hooks) of fdkd_mm."""
from .hooks import NonFiniteLossGuardHook

__all__ = ['NonFiniteLossGuardHook']
