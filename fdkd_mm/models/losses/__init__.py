"""Distillation losses, one method per file."""
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
from .unpaired_fd import UnpairedFDLoss

__all__ = ['AFDLoss', 'C2KDLoss', 'C2KDProxyHead', 'DISTLoss', 'DKDLoss', 'DMLLoss',
           'FDCMKDLoss', 'FitNetLoss', 'FrequencyAlignLoss', 'KDLoss', 'MultiBandAlignLoss',
           'NKDLoss', 'OFDLoss', 'PKDLoss', 'UnpairedFDLoss', 'kendall_tau',
           'ofd_margin', 'ofd_margin_from_bn', 'signed_log', 'standardize']
