"""Contrastive representation distillation (CRD): NCE against a memory bank of the dataset.

Paper: Y. Tian, D. Krishnan, P. Isola, "Contrastive Representation Distillation", ICLR 2020
(arXiv 1910.10699). Official code: HobbitLong/RepDistiller (``crd/criterion.py``,
``crd/memory.py``); MST-Distill's ``KD_methods/CRD.py`` is the same code.

Formula (N samples of the batch with dataset indices y_n, D = embed_dim, M = num_samples rows
of two memories, K = num_negatives, τ = temperature, m = momentum)::

    s_n = embed_s(f_s,n),  t_n = embed_t(f_t,n)           linear + L2 normalisation, both trained
    idx_n = (y_n, j_1 … j_K)                              j_k uniform on [0, M) (a draw per step)
    u_nk = exp(mem_s[idx_nk] · t_n / τ) / Z_t             teacher anchor, student memory
    v_nk = exp(mem_t[idx_nk] · s_n / τ) / Z_s             student anchor, teacher memory
    Z_s, Z_t = M · mean(exp(·/τ)) of the first step, then kept (buffers)
    h(x_0)  = log(x_0 / (x_0 + K/M + 1e-7)),   h(x_k) = log((K/M) / (x_k + K/M + 1e-7))
    L_NCE(x) = −1/N Σ_n (h(x_n0) + Σ_k h(x_nk))
    L = loss_weight · (L_NCE(v) + L_NCE(u))
    then, without gradient: mem_s[y_n] ← normalise(m · mem_s[y_n] + (1 − m) · s_n) (and mem_t)

The memories start uniform in [−1/√(D/3), 1/√(D/3)], as the official ``ContrastMemory``.

Defaults (RepDistiller's ``train_student.py`` for CRD): embed_dim 128, num_negatives 16384,
temperature 0.07, momentum 0.5, loss_weight (β) 0.8.

The memories and Z are buffers, so they are saved with checkpoints and a resumed run continues
with the same bank. ``num_samples`` is the training set's length: give it, or leave it None and
let :class:`~fdkd_mm.engine.hooks.ContrastMemoryHook` size the bank (from a checkpoint being
loaded, else from the runner's training dataset); ``load_state_dict`` into an unallocated
bank adopts the saved one as it is. The sample indices are the
datasets' ``sample_idx`` metainfo (mapping ``dict(metainfo='sample_idx')``).

Differences from the official pipeline: negatives are drawn uniformly over the dataset, the
memory's own sampler (RepDistiller's CIFAR loader, in its default ``mode='exact'``, draws them
from other classes; that needs every sample's label up front); maps (N, C, H, W) are averaged
over space before the embedding (the official code flattens its pooled penultimate feature).
"""
import math
from typing import Any, Optional

import torch
from torch import Tensor, nn

from fdkd_mm.errors import ConfigError, DataError
from fdkd_mm.registry import MODELS

from .embedding import L2Embed

#: The official code's eps in the NCE posterior.
NCE_EPS = 1e-7


def nce_loss(scores: Tensor, num_samples: int) -> Tensor:
    """The official ``ContrastLoss``: column 0 the positive, the K others negatives.

    Args:
        scores: (N, K + 1) normalised exponentiated similarities.
        num_samples: M, the size of the noise distribution (uniform 1 / M).

    Returns:
        Scalar loss, summed over pairs and divided by N.
    """
    noise = (scores.shape[1] - 1) / num_samples
    log_positive = torch.log(scores[:, 0] / (scores[:, 0] + noise + NCE_EPS))
    log_negative = torch.log(noise / (scores[:, 1:] + noise + NCE_EPS))
    return -(log_positive.sum() + log_negative.sum()) / scores.shape[0]


class ContrastMemory(nn.Module):
    """Two memories of L2-normalised embeddings, one row per training sample, and their Z.

    Args:
        embed_dim: D.
        num_samples: M; None allocates nothing until :meth:`allocate` (or a checkpoint).
    """

    def __init__(self, embed_dim: int, num_samples: Optional[int] = None) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.register_buffer('memory_student', torch.empty(0, embed_dim))
        self.register_buffer('memory_teacher', torch.empty(0, embed_dim))
        # Z_s (student anchor), Z_t (teacher anchor); negative: not yet set.
        self.register_buffer('normalizers', torch.full((2, ), -1.0))
        if num_samples is not None:
            self.allocate(num_samples)

    @property
    def num_samples(self) -> int:
        """M, 0 while unallocated."""
        return self.memory_student.shape[0]

    def allocate(self, num_samples: int) -> None:
        """Fill both memories with the official uniform initialisation.

        Args:
            num_samples: M, the training set's length.
        """
        if num_samples <= 0:
            raise ConfigError(f'CRD needs a positive num_samples (the training set length), '
                              f'got {num_samples}')
        bound = 1.0 / math.sqrt(self.embed_dim / 3)
        device = self.memory_student.device
        for name in ('memory_student', 'memory_teacher'):
            setattr(self, name, torch.rand(num_samples, self.embed_dim, device=device)
                    .mul_(2 * bound).add_(-bound))
        self.normalizers.fill_(-1.0)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any) -> None:
        # A bank in the checkpoint is adopted as it is (also by an unallocated memory, e.g.
        # tools/test.py loading a trained distiller); a differently sized one is an error.
        for name in ('memory_student', 'memory_teacher'):
            saved = state_dict.get(prefix + name)
            if saved is None:
                continue
            current = getattr(self, name)
            if current.numel() == 0:
                setattr(self, name, torch.empty_like(saved, device=current.device,
                                                     dtype=current.dtype))
            elif current.shape != saved.shape:
                raise DataError(f'CRD memory {prefix + name} in the checkpoint has shape '
                                f'{tuple(saved.shape)}, this run\'s has {tuple(current.shape)} '
                                '(another training set length or embed_dim)')
        super()._load_from_state_dict(state_dict, prefix, *args)

    def scores(self, student: Tensor, teacher: Tensor, indices: Tensor,
               temperature: float) -> tuple[Tensor, Tensor]:
        """Normalised exponentiated similarities of both anchors to the memory rows.

        Args:
            student: (N, D) student embeddings.
            teacher: (N, D) teacher embeddings.
            indices: (N, K + 1) memory rows, column 0 each sample's own.
            temperature: τ.

        Returns:
            ``(v, u)``: student-anchor and teacher-anchor scores, each (N, K + 1).
        """
        rows = self.num_samples
        memory_teacher = self.memory_teacher[indices].detach()   # (N, K + 1, D)
        memory_student = self.memory_student[indices].detach()
        v = torch.exp(torch.einsum('nkd,nd->nk', memory_teacher, student) / temperature)
        u = torch.exp(torch.einsum('nkd,nd->nk', memory_student, teacher) / temperature)
        with torch.no_grad():
            if self.normalizers[0] < 0:
                self.normalizers[0] = v.mean() * rows
            if self.normalizers[1] < 0:
                self.normalizers[1] = u.mean() * rows
        return v / self.normalizers[0], u / self.normalizers[1]

    @torch.no_grad()
    def update(self, student: Tensor, teacher: Tensor, sample_idx: Tensor,
               momentum: float) -> None:
        """Move each sample's rows towards its new embeddings and renormalise.

        Args:
            student: (N, D) student embeddings.
            teacher: (N, D) teacher embeddings.
            sample_idx: (N,) the samples' rows.
            momentum: m, the old row's share.
        """
        for name, new in (('memory_student', student), ('memory_teacher', teacher)):
            memory = getattr(self, name)
            rows = memory[sample_idx] * momentum + new.detach().to(memory.dtype) * (1 - momentum)
            memory.index_copy_(0, sample_idx, rows / rows.pow(2).sum(dim=1, keepdim=True).sqrt())


@MODELS.register_module()
class CRDLoss(nn.Module):
    """CRD: embedding heads, a memory bank of the training set, the NCE loss of both anchors.

    Args:
        student_channels: Width of the student feature.
        teacher_channels: Width of the teacher feature.
        num_samples: Training set length M; None: set by ``ContrastMemoryHook`` (or a
            checkpoint) before the first step.
        embed_dim: D. Defaults to 128.
        num_negatives: K. Defaults to 16384.
        temperature: τ. Defaults to 0.07.
        momentum: m of the memory update. Defaults to 0.5.
        loss_weight: β. Defaults to 0.8.
    """

    def __init__(self, student_channels: int, teacher_channels: int,
                 num_samples: Optional[int] = None, embed_dim: int = 128,
                 num_negatives: int = 16384, temperature: float = 0.07, momentum: float = 0.5,
                 loss_weight: float = 0.8) -> None:
        super().__init__()
        self.embed_student = L2Embed(student_channels, embed_dim)
        self.embed_teacher = L2Embed(teacher_channels, embed_dim)
        self.memory = ContrastMemory(embed_dim, num_samples)
        self.num_negatives = num_negatives
        self.temperature = temperature
        self.momentum = momentum
        self.loss_weight = loss_weight

    def input_channels(self) -> dict[str, int]:
        """Widths the embedding heads expect (checked by the distiller)."""
        return dict(student_feat=self.embed_student.linear.in_features,
                    teacher_feat=self.embed_teacher.linear.in_features)

    def set_num_samples(self, num_samples: int) -> None:
        """Allocate the bank for a training set of ``num_samples`` (ContrastMemoryHook).

        A bank already allocated (from the config or a checkpoint) is kept if its size
        matches; otherwise it is a ConfigError naming both sizes.
        """
        if self.memory.num_samples == 0:
            self.memory.allocate(num_samples)
        elif self.memory.num_samples != num_samples:
            raise ConfigError(f'CRDLoss.num_samples is {self.memory.num_samples} but the '
                              f'training set has {num_samples} samples; remove num_samples '
                              'from the config (the hook sets it) or correct it')

    def draw_indices(self, sample_idx: Tensor) -> Tensor:
        """(N, K + 1) memory rows: each sample's own, then K uniform draws."""
        indices = torch.randint(0, self.memory.num_samples,
                                (len(sample_idx), self.num_negatives + 1),
                                device=sample_idx.device)
        indices[:, 0] = sample_idx
        return indices

    def forward(self, student_feat: Tensor, teacher_feat: Tensor, sample_idx: Tensor,
                contrast_idx: Optional[Tensor] = None) -> Tensor:
        """Compute the loss, then update the memories (training mode only).

        Args:
            student_feat: (N, C_s) or (N, C_s, H, W).
            teacher_feat: (N, C_t) or (N, C_t, H', W'); detached here.
            sample_idx: (N,) dataset indices of the batch's samples.
            contrast_idx: Optional (N, K + 1) memory rows (column 0 the samples' own);
                drawn uniformly when None.

        Returns:
            Scalar loss.
        """
        rows = self.memory.num_samples
        if rows == 0:
            raise ConfigError('CRDLoss has no memory bank yet: set model.distill_losses.<crd '
                              'loss>.num_samples to the training set length, or add '
                              "dict(type='fdkd_mm.ContrastMemoryHook') to custom_hooks")
        sample_idx = sample_idx.reshape(-1).long().to(self.memory.memory_student.device)
        if len(sample_idx) and (int(sample_idx.min()) < 0 or int(sample_idx.max()) >= rows):
            raise DataError(f'CRD sample_idx {sample_idx.tolist()} out of the memory bank\'s '
                            f'{rows} rows (num_samples is the training set length)')
        student = _pooled(student_feat)
        teacher = _pooled(teacher_feat.detach())
        student, teacher = self.embed_student(student), self.embed_teacher(teacher)
        indices = self.draw_indices(sample_idx) if contrast_idx is None else contrast_idx.long()
        v, u = self.memory.scores(student, teacher, indices, self.temperature)
        loss = nce_loss(v, rows) + nce_loss(u, rows)
        if self.training:
            self.memory.update(student, teacher, sample_idx, self.momentum)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'num_negatives={self.num_negatives}, temperature={self.temperature}, '
                f'momentum={self.momentum}, loss_weight={self.loss_weight}')


def _pooled(feat: Tensor) -> Tensor:
    """(N, C) as it is; maps averaged over space; half precision upcast."""
    if feat.dim() > 2:
        feat = feat.flatten(2).mean(dim=2)
    return feat.float() if feat.dtype in (torch.float16, torch.bfloat16) else feat
