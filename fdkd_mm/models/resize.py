"""Spatial resizing shared by heads and losses: label maps and feature / logit maps.

Dense teacher and student outputs may come at different resolutions (another output stride,
another decode head), and label maps come at the input resolution. Every loss and head
resizes through these two functions, so the rule (nearest for labels, bilinear for maps, the
student's grid is the reference) lives in one place.
"""
import torch.nn.functional as F
from torch import Tensor


def resize_labels(labels: Tensor, size: tuple[int, int]) -> Tensor:
    """Nearest-neighbour resize of label maps to ``size``; ignore values survive.

    Args:
        labels: (N, H, W) or (N, 1, H, W) class ids.
        size: Target (h, w).

    Returns:
        (N, h, w) long tensor (the input itself when it already has that size).
    """
    if labels.dim() == 4:
        labels = labels[:, 0]
    if tuple(labels.shape[-2:]) == tuple(size):
        return labels
    resized = F.interpolate(labels[:, None].float(), size=tuple(size), mode='nearest')
    return resized[:, 0].long()


def match_grid(teacher_map: Tensor, student_map: Tensor) -> Tensor:
    """Resample a dense teacher map (features or logits) onto the student's (h, w) grid.

    The student's grid is the reference: it is what the student predicts at, so its own
    tensors are never resampled. Vectors and maps of equal size pass through unchanged.

    Args:
        teacher_map: (N, C, H', W') or (N, C).
        student_map: (N, C_s, h, w) or (N, C_s).

    Returns:
        The teacher map at (h, w), bilinear (``align_corners=False``, as mmseg resizes logits).
    """
    if teacher_map.dim() != 4 or student_map.dim() != 4:
        return teacher_map
    if teacher_map.shape[-2:] == student_map.shape[-2:]:
        return teacher_map
    return F.interpolate(teacher_map, size=student_map.shape[-2:], mode='bilinear',
                         align_corners=False)
