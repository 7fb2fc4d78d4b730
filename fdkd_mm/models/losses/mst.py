"""MST-Distill: a mixture of specialised teachers, routed per sample.

Method: MST-Distill (ACM MM 2025) as its official code implements it (Gray-OREO/MST-Distill,
``KD_methods/MST.py`` and ``main-MST-Distill.py``). Two teachers — the multimodal one (``mm``)
and a cross-modal one on the modality the student lacks (``cm``, the official "auxiliary"
model) — and the student go through three stages, each a config here (docs/baselines.md):

1. **Co-training** (:class:`MSTCoTrainLoss`; both teachers trainable, all three networks from
   scratch): each network's CE plus the KL from each of the two others,
   ``τ² · KL(σ(z_other / τ) ‖ σ(z_self / τ))``, τ = 4, **without** detaching the targets (the
   official ``distillation_loss``): every one of the six terms sends gradients to both of its
   networks.
2. **Masking networks** (:class:`MSTLoss`, ``stage='mask'``; teachers and student frozen): one
   :class:`~fdkd_mm.models.losses.mst_modules.MSTMaskNet` per teacher multiplies a teacher
   feature by a per-sample channel mask inside the teacher; each mask network learns to pull
   its masked teacher's logits towards the (detached) student's:
   ``τ² · KL(σ(zˢ / τ) ‖ σ(z̃ᵗ / τ))``. The masked teachers are the *specialised teachers*.
3. **Routed distillation** (:class:`MSTLoss`, ``stage='distill'``; teachers and masks frozen):
   the router :class:`~fdkd_mm.models.losses.mst_modules.MSTGateNet` scores the specialised
   teachers from the student's logits, ``g = softmax(G(zˢ))``; each sample distils from its
   top-k teachers, ``L_kd = 1/k Σ_i τ² · 1/N Σ_n KL(σ(z̃ᵗ⁽ⁱⁿ⁾_n / τ) ‖ σ(zˢ_n / τ))`` (the
   teacher logits detached), and a load-balancing term keeps the routing spread out:
   ``L_lb = 1/E Σ_e u_e (log u_e − log ḡ_e)`` with ``ḡ = mean_n g_n`` and ``u = 1/E`` (mode
   ``'KL'``, PyTorch's ``KLDivLoss(batchmean)`` on the E-vector) or ``std(Σ_n g_n) / mean(Σ_n
   g_n)`` (mode ``'CV'``, unbiased std). The top-k choice is not differentiable: as in the
   official code the router learns from ``L_lb`` only, and ``L_lb`` also reaches the student
   through the router's input. The total is ``w_kl·L_kd + w_lb·L_lb`` (plus the student's CE,
   weight 1), with the official per-epoch decay: after epoch e (0-based) ``w_lb ×= 0.9`` when
   ``e % 10 == 0`` and ``w_kl ×= 0.5`` when ``e % 30 == 0``; so in epoch e,
   ``w_lb = 0.9^⌈e/10⌉`` and ``w_kl = 0.5^⌈e/30⌉``.

The official hooks multiply the feature by the mask inside the teacher and rerun the rest of
it. The masked feature here is the one the teacher's linear classifier reads (the fused feature
of a fusion teacher, the pooled feature of a unimodal one), so the rest of the teacher is that
classifier: ``z̃ = W (m ⊙ f) + b``, computed exactly from the recorded feature and the
classifier's parameters (as MGDFR's frozen logits are).

**Dense students** (``dense=True``, NYU-Depth V2 segmentation, the official code's dense
case): the logits are (N, K, H, W) maps and every KL is the official dense
``distillation_loss``, ``kl_div(log σ(zˢ/τ), σ(zᵗ/τ), batchmean) · τ² / (H·W)``, i.e. the
per-pixel KL averaged over the N·H·W pixels of the student's logit grid (a teacher map on
another grid is first resampled onto it bilinearly, :func:`~fdkd_mm.models.resize.match_grid`).
As in the official code no pixel is left out: pixels labelled 255 (ignore) and padding count
like any other, since the KL reads no labels. The masked feature is the (N, C, H, W) map the
decode head's 1×1 classifier reads; the mask is the official ``MaskNet_2d`` (spatial
reduction to (N, C), then the channel mask), applied to every pixel, and the masked logits are
that 1×1 conv, ``z̃ = W (m ⊙ f) + b``. The router is the official ``GateNet_dense``
(:class:`~fdkd_mm.models.losses.mst_modules.MSTDenseGateNet`) on the student's logit map;
top-k selection (per sample) and load balancing are those of the classification path.
"""
import math
from typing import Optional

import torch
from mmengine.logging import MessageHub
from torch import Tensor, nn

from fdkd_mm.errors import ConfigError
from fdkd_mm.models.resize import match_grid
from fdkd_mm.registry import MODELS

from .mgdfr import linear_head
from .mst_modules import MSTDenseGateNet, MSTGateNet, MSTMaskNet, apply_mask
from .utils import kl_rows

#: The specialised teachers' names, in routing order (the official T group, then A group).
TEACHERS = ('mm', 'cm')
STAGES = ('mask', 'distill')
LB_MODES = ('KL', 'CV')


def kd_term(student_logits: Tensor, teacher_logits: Tensor, temperature: float) -> Tensor:
    """``τ² · 1/N Σ_n KL(σ(teacher_n / τ) ‖ σ(student_n / τ))`` (official
    ``distillation_loss``, gradients to both sides unless the caller detaches).

    Args:
        student_logits: (N, K) logits, or (N, K, H, W) logit maps.
        teacher_logits: Logits of the same kind; a map on another grid is resampled onto the
            student's.
        temperature: τ.

    Returns:
        The scalar term. For maps the mean runs over the N·H·W pixels of the student's grid:
        the official dense form ``kl_div(..., 'batchmean') · τ² / (H·W)``.
    """
    teacher_logits = match_grid(teacher_logits, student_logits)
    return temperature ** 2 * kl_rows(student_logits, teacher_logits, temperature).mean()


@MODELS.register_module()
class MSTCoTrainLoss(nn.Module):
    """Stage 1: mutual KL among the student and the two teachers, nothing detached.

    Args:
        temperature: τ. Defaults to 4.0 (official).
        loss_weight: Multiplier of every term. Defaults to 1.0 (official).
    """

    def __init__(self, temperature: float = 4.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, student_logits: Tensor, mm_logits: Tensor,
                cm_logits: Tensor) -> dict[str, Tensor]:
        """Each network's two KL terms towards the other two.

        Args:
            student_logits: (N, K) logits of the student, or (N, K, H, W) logit maps.
            mm_logits: Logits of the multimodal teacher, of the same kind.
            cm_logits: Logits of the cross-modal teacher, of the same kind.

        Returns:
            ``loss_student``, ``loss_mm``, ``loss_cm``: the KL terms each network learns from.
        """
        logits = dict(student=student_logits, mm=mm_logits, cm=cm_logits)
        out = {}
        for name, own in logits.items():
            out[f'loss_{name}'] = self.loss_weight * sum(
                kd_term(own, other, self.temperature)
                for other_name, other in logits.items() if other_name != name)
        return out


@MODELS.register_module()
class MSTLoss(nn.Module):
    """Stages 2 and 3: the masking networks, the router and the routed top-k KD.

    One module for both stages, so stage 3 loads the masks stage 2 trained from its checkpoint
    (``losses.<name>.masks.*``) and stage 2's checkpoint carries the router untouched.

    Args:
        num_classes: K, the router's input width.
        mm_channels: Channels of the multimodal teacher's masked feature.
        cm_channels: Channels of the cross-modal teacher's masked feature.
        stage: ``'mask'`` (train the masks, the router idle) or ``'distill'`` (masks frozen in
            eval mode, router trained).
        k: Teachers each sample distils from (official ``--k``, default 1); at most 2.
        mask_heads: Attention heads of the masks (official ``--mask_head_num``, default 3).
        mask_hidden_factor: Token width of the masks as a fraction of the feature width
            (:class:`MSTMaskNet`'s ``hidden_factor``; 0.5, the default, is the official width;
            each mask has about ``C² · C · factor`` embedding weights).
        temperature: τ of every KL. Defaults to 4.0 (official).
        kl_weight: ``w_kl`` at epoch 0 (official ``--w_kl``, 1).
        lb_weight: ``w_lb`` at epoch 0 (official ``--w_lb``, 1).
        lb_mode: ``'KL'`` (official default) or ``'CV'``.
        decay: Apply the official per-epoch decay of ``w_kl`` and ``w_lb``. Defaults to True.
        dense: Dense students (segmentation): (N, K, H, W) student logits and (N, C, H, W)
            teacher features, spatial masks, the dense router and the per-pixel KL (module
            docstring). Defaults to False.

    Raises:
        ConfigError: An unknown stage / lb_mode or k outside 1..2.
    """

    def __init__(self, num_classes: int, mm_channels: int, cm_channels: int,
                 stage: str = 'distill', k: int = 1, mask_heads: int = 3,
                 temperature: float = 4.0, kl_weight: float = 1.0, lb_weight: float = 1.0,
                 lb_mode: str = 'KL', decay: bool = True,
                 mask_hidden_factor: float = 0.5, dense: bool = False) -> None:
        super().__init__()
        if stage not in STAGES:
            raise ConfigError(f'MSTLoss.stage={stage!r}; expected one of {STAGES}')
        if lb_mode not in LB_MODES:
            raise ConfigError(f'MSTLoss.lb_mode={lb_mode!r}; expected one of {LB_MODES}')
        if not 1 <= k <= len(TEACHERS):
            raise ConfigError(f'MSTLoss.k={k}: each sample picks 1..{len(TEACHERS)} of the '
                              f'specialised teachers {TEACHERS}')
        self.stage, self.k, self.lb_mode, self.decay = stage, k, lb_mode, decay
        #: Fraction of the last batch's top-k picks per teacher (stage 3).
        self.routing: dict[str, Tensor] = {}
        self.temperature, self.kl_weight, self.lb_weight = temperature, kl_weight, lb_weight
        self.dense = dense
        self.masks = nn.ModuleDict({
            name: MSTMaskNet(channels, mask_heads, spatial=dense,
                             hidden_factor=mask_hidden_factor)
            for name, channels in (('mm', mm_channels), ('cm', cm_channels))})
        gate = MSTDenseGateNet if dense else MSTGateNet
        self.gate = gate(num_classes, len(TEACHERS))
        frozen = self.masks if stage == 'distill' else self.gate
        frozen.requires_grad_(False)
        self.train()

    def train(self, mode: bool = True) -> 'MSTLoss':
        """Set the mode; frozen masks (stage 3) stay in eval mode, as the official ones."""
        super().train(mode)
        if self.stage == 'distill':
            self.masks.eval()
        return self

    def input_channels(self) -> dict[str, int]:
        """Widths the router and the masks were built for (checked by the distiller)."""
        classes = self.gate.num_classes if self.dense else self.gate.fc1.in_features
        return dict(student_logits=classes,
                    mm_feat=self.masks['mm'].channels, cm_feat=self.masks['cm'].channels)

    def weights(self, epoch: Optional[int] = None) -> tuple[float, float]:
        """``(w_kl, w_lb)`` in 0-based epoch ``epoch`` (MessageHub's when None, 0 outside a
        runner); the initial weights without ``decay``."""
        if not self.decay:
            return self.kl_weight, self.lb_weight
        if epoch is None:
            epoch = MessageHub.get_current_instance().get_info('epoch') or 0
        return (self.kl_weight * 0.5 ** math.ceil(epoch / 30),
                self.lb_weight * 0.9 ** math.ceil(epoch / 10))

    def specialised_logits(self, feats: dict[str, Tensor], heads: dict[str, tuple],
                           student_logits: Tensor) -> dict[str, Tensor]:
        """Each teacher's logits with its feature masked: ``W (m(f) ⊙ f) + b``.

        Args:
            feats: Teacher name → the feature its classifier reads: (N, C), or (N, C, H, W)
                when dense.
            heads: Teacher name → (weight, bias) of that classifier.
            student_logits: The student's logits; dense masked logits are resampled onto
                their grid.

        Returns:
            Teacher name → masked logits, (N, K) or (N, K, h, w) on the student's grid.

        Raises:
            ValueError: A feature of the wrong rank for ``dense``.
        """
        out = {}
        rank, what = (4, '(N, C, H, W) (the input of its 1x1 classifier)') if self.dense \
            else (2, '(N, C) (the input of its linear classifier)')
        for name in TEACHERS:
            feat = feats[name]
            if feat.dim() != rank:
                raise ValueError(f'MSTLoss(dense={self.dense}): the {name} teacher feature '
                                 f'must be {what}, got {tuple(feat.shape)}')
            logits = linear_head(apply_mask(feat, self.masks[name](feat)), *heads[name])
            out[name] = match_grid(logits, student_logits)
        return out

    def load_balance(self, probs: Tensor) -> Tensor:
        """The load-balancing term of (N, E) routing probabilities (module docstring)."""
        if self.lb_mode == 'KL':
            mean = probs.mean(0)
            uniform = torch.full_like(mean, 1.0 / mean.numel())
            return (uniform * (uniform.log() - mean.log())).sum() / mean.numel()
        importance = probs.sum(0)
        return importance.std() / importance.mean()

    def forward(self, student_logits: Tensor, mm_feat: Tensor, mm_head_weight: Tensor,
                mm_head_bias: Tensor, cm_feat: Tensor, cm_head_weight: Tensor,
                cm_head_bias: Tensor, epoch: Optional[int] = None) -> dict[str, Tensor]:
        """The stage's losses.

        Args:
            student_logits: (N, K) student logits; (N, K, H, W) when dense.
            mm_feat: (N, C_mm) the feature the multimodal teacher's classifier reads; when
                dense the (N, C_mm, H', W') map its 1×1 classifier reads.
            mm_head_weight: (K, C_mm) that classifier's weight ((K, C_mm, 1, 1) for a conv).
            mm_head_bias: (K,) its bias.
            cm_feat: The cross-modal teacher's classifier input, as ``mm_feat``.
            cm_head_weight: Its classifier's weight, as ``mm_head_weight``.
            cm_head_bias: (K,) its bias.
            epoch: 0-based epoch for the weight decay (MessageHub's when None).

        Returns:
            Stage ``'mask'``: ``loss_mask_mm``, ``loss_mask_cm``. Stage ``'distill'``:
            ``loss_kd``, ``loss_lb`` (weighted); the fraction of the batch's top-k picks per
            teacher is kept in ``self.routing`` (name → scalar tensor).

        Raises:
            ValueError: Logits or features of the wrong rank for ``dense``.
        """
        rank = 4 if self.dense else 2
        if student_logits.dim() != rank:
            raise ValueError(f'MSTLoss(dense={self.dense}) needs {rank}-D student logits, got '
                             f'{tuple(student_logits.shape)}; dense=True is for (N, K, H, W) '
                             'logit maps (segmentation), False for (N, K) logits')
        feats = dict(mm=mm_feat.detach(), cm=cm_feat.detach())
        heads = dict(mm=(mm_head_weight.detach(), mm_head_bias.detach()),
                     cm=(cm_head_weight.detach(), cm_head_bias.detach()))
        if self.stage == 'mask':
            target = student_logits.detach()
            return {f'loss_mask_{name}': kd_term(logits, target, self.temperature)
                    for name, logits in self.specialised_logits(feats, heads, target).items()}
        with torch.no_grad():
            experts = torch.stack(list(
                self.specialised_logits(feats, heads, student_logits).values()), 1)
        probs = torch.softmax(self.gate(student_logits), dim=1)
        picked = probs.topk(self.k, dim=1).indices  # (N, k)
        kd = sum(kd_term(student_logits, experts[torch.arange(len(experts)), picked[:, i]],
                         self.temperature) for i in range(self.k)) / self.k
        w_kl, w_lb = self.weights(epoch)
        # Not returned: the distiller's keys all contain 'loss', which MMEngine would sum.
        counts = torch.bincount(picked.flatten(), minlength=len(TEACHERS)).float()
        self.routing = {name: counts[i] / picked.numel() for i, name in enumerate(TEACHERS)}
        return dict(loss_kd=w_kl * kd, loss_lb=w_lb * self.load_balance(probs))
