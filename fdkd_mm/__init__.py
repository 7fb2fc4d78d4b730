"""fdkd_mm: frequency-decoupled cross-modal knowledge distillation for OpenMMLab.

Importing the package registers its models, datasets, transforms and hooks into the MMEngine
registries under the scope ``fdkd_mm``.
"""
__version__ = '0.1.0'

from .checkpoint.safe_loading import register_checkpoint_loader  # noqa: E402

register_checkpoint_loader()

from . import datasets, engine, models  # noqa: E402,F401
