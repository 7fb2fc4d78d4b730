"""Distillation losses, one method per file.

Every module of this package is imported when the package is, so a loss file registers its
``@MODELS.register_module()`` classes by being here: a new method needs no line in this file
(docs/adding_a_method.md). The names imported below are the package's public API.
"""
import importlib
import pkgutil

from .afd import AFDLoss
from .c2kd import C2KDLoss, C2KDProxyHead
from .dist import DISTLoss
from .dkd import DKDLoss
from .dml import DMLLoss
from .fdcmkd import FDCMKDLoss
from .fitnet import FitNetLoss
from .frequency_align import FrequencyAlignLoss, signed_log, standardize
from .kd import KDLoss
from .kendall import kendall_tau
from .multi_band_align import MultiBandAlignLoss
from .nkd import NKDLoss
from .ofd import OFDLoss, ofd_margin, ofd_margin_from_bn
from .pkd import PKDLoss
from .unpaired_cmkd import UnpairedCMKDLoss
from .unpaired_fd import UnpairedFDLoss


def import_every_module() -> list[str]:
    """Import every module of this package (each registers its losses in ``MODELS``).

    Returns:
        The names of the modules, imported now or before.
    """
    names = [module.name for module in pkgutil.iter_modules(__path__)]
    for name in names:
        importlib.import_module(f'{__name__}.{name}')
    return names


import_every_module()

__all__ = ['AFDLoss', 'C2KDLoss', 'C2KDProxyHead', 'DISTLoss', 'DKDLoss', 'DMLLoss',
           'FDCMKDLoss', 'FitNetLoss', 'FrequencyAlignLoss', 'KDLoss', 'MultiBandAlignLoss',
           'NKDLoss', 'OFDLoss', 'PKDLoss', 'UnpairedCMKDLoss', 'UnpairedFDLoss',
           'import_every_module', 'kendall_tau', 'ofd_margin', 'ofd_margin_from_bn', 'signed_log',
           'standardize']
