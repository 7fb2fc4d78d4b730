"""Unpaired FD: frequency-decoupled distillation by class-level statistics, without pairs.

Our design (docs/unpaired.md), from the idea of "Cross-Modal Knowledge Distillation without
Paired Data" (2026; only its abstract is public) that feature alignment and label alignment
between the two modalities' distributions govern cross-modal distillation: the student, on a
batch of its own modality only, is pulled towards per-class statistics of the teacher kept in
a :class:`~fdkd_mm.models.banks.TeacherBank`. With ``b`` a band of the FD split, ``Std`` the
scale standardisation, ``μ_k^b`` / ``v_k^b`` a class's mean / variance of ``Std`` band rows
(rows: samples, or pixels of dense maps), ``P̄_k`` the teacher's mean prediction on class k
(softmax at τ) and ``σ(x) = sign(x)·log(1 + |x|)``::

    distill.loss_low_mean   = λ_low  · mean_k MSE(μ_k^low(S), μ_k^low(T))        strong
    distill.loss_high_mean  = λ_high · mean_k MSE(σ(μ_k^high(S)), σ(μ_k^high(T)))  weak
    distill.loss_{b}_std    = λ_std  · mean_k MSE(√v_k^b(S), √v_k^b(T))           optional
    distill.loss_label      = λ_lab  · τ² · mean_i KL(P̄_{y_i} ‖ softmax(z_i / τ))
    distill.loss_label_class = λ_cls · τ² · mean_k KL(P̄_k ‖ mean_{i: y_i = k} softmax(z_i / τ))
    align.loss_{b}_student  = CE(Φ_b(√D·Std(S_b)), y)
    align.loss_{b}_teacher  = CE(Φ_b(√D·t), y_t),  t: standardised teacher rows of the bank

the means over k running over the classes present both in the batch and in the bank (the
std term: with at least two rows on both sides). The shared heads Φ_b classify standardised
bands on both sides, scaled by √D to unit RMS: the bank describes the teacher in the
standardised space only. Their teacher rows are replayed bank samples (pooled features kept
in the bank) or draws from the per-class diagonal Gaussians ``N(μ_k^b, v_k^b)``,
re-standardised (statistics only, e.g. dense maps). Given ``teacher_feat`` (and
``teacher_logits``) of a paired batch instead, the targets are the teacher's statistics on that
batch: distribution-level alignment with paired data.
"""
from dataclasses import dataclass
from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.models.banks import (TeacherBank, band_layout, class_statistics, load_bank,
                                  row_labels, to_rows, valid_rows)
from fdkd_mm.models.decouplers import BaseDecoupler
from fdkd_mm.models.losses.frequency_align import standardize
from fdkd_mm.models.losses.utils import weighted_mean
from fdkd_mm.models.resize import match_grid
from fdkd_mm.registry import MODELS
from fdkd_mm.config.typed_args import check_bool_dict, check_choice

#: The switchable terms and their defaults.
TERMS = dict(feature=True, std=False, label=True, label_class=False, align=True,
             align_teacher=True)
TEACHER_SAMPLES = ('auto', 'replay', 'gaussian')


@dataclass
class ClassTargets:
    """What the student is aligned to: the bank's statistics or a paired batch's teacher's.

    Attributes:
        counts: (K,) teacher rows per class (0: class absent, skipped).
        means: Per band, (K, D) class means of the standardised band rows.
        variances: Per band, (K, D) class variances (None unless the std term is on).
        label_counts: (K,) teacher predictions per class.
        label_dist: (K, K) mean teacher prediction (softmax at τ) on each class.
    """
    counts: Tensor
    means: list
    variances: Optional[list]
    label_counts: Optional[Tensor]
    label_dist: Optional[Tensor]


@MODELS.register_module()
class UnpairedFDLoss(nn.Module):
    """Feature and label alignment to a teacher bank, per FD band (see the module docstring).

    Its keys are the log's own (``distill.*``, ``align.*``): the distiller logs them as they
    are. Teacher-free use: ``CrossModalDistiller(teacher=None, ...)`` with the batch holding
    only the student's modality; the bank comes from ``bank_file`` or from
    :class:`~fdkd_mm.engine.hooks.BuildTeacherBankHook` before training, and is checkpointed.

    Args:
        num_classes: Number of classes K.
        in_channels: Feature width D of the student's feature (after its connector).
        decoupler: The FD split (not a learnable one: the bank is made with fixed bands).
        low_loss: Loss of the lowest band's class means (λ_low = its ``loss_weight``);
            ``standardize`` is set to False (the rows are standardised before averaging).
        high_loss: Loss of every other band's class means (λ_high), sign-log by default.
        std_loss_weight: λ_std of the per-dimension standard deviations (term ``std``).
        temperature: τ of the label distributions; must be the bank's.
        label_loss_weight: λ_lab of the per-sample label alignment (term ``label``).
        label_class_loss_weight: λ_cls of the class-level label alignment (``label_class``).
        shared_head: Config of Φ_b (``in_channels`` / ``num_classes`` / ``ignore_index``
            filled in; term ``align``).
        teacher_samples: The teacher rows Φ_b classifies: ``'replay'`` (bank samples),
            ``'gaussian'`` (draws from the class Gaussians), ``'auto'`` (replay when the bank
            keeps samples).
        num_teacher_samples: Teacher rows per step for Φ_b.
        terms: Switches ``feature``, ``std``, ``label``, ``label_class``, ``align`` and
            ``align_teacher`` (the heads' teacher rows; off, the heads see the student alone,
            an ablation). Defaults: all but ``std`` and ``label_class`` on.
        bank_file: A bank made by ``tools/build_teacher_bank.py``, loaded now (checked against
            this loss's classes, width, bands and τ). ``None``: empty until the hook fills it or
            a checkpoint restores it.
        ignore_index: Ignored label of dense label maps.
    """

    #: The result's keys are complete log keys (see the distiller's ``loss``).
    log_keys_are_final = True

    def __init__(self, num_classes: int, in_channels: int,
                 decoupler: Union[dict, nn.Module] = dict(type='FrequencyDecoupler', cutoff=0.5),
                 low_loss: dict = dict(type='FrequencyAlignLoss', mode='mse', loss_weight=1.0),
                 high_loss: dict = dict(type='FrequencyAlignLoss', mode='log_mse',
                                        loss_weight=1.0),
                 std_loss_weight: float = 1.0, temperature: float = 4.0,
                 label_loss_weight: float = 1.0, label_class_loss_weight: float = 1.0,
                 shared_head: dict = dict(type='SharedHead', loss_weight=1.0),
                 teacher_samples: str = 'auto', num_teacher_samples: int = 64,
                 terms: Optional[dict] = None, bank_file: Optional[str] = None,
                 ignore_index: int = 255) -> None:
        super().__init__()
        self.terms = dict(TERMS)
        self.terms.update(check_bool_dict(terms or {}, 'terms', allowed=TERMS))
        self.num_classes, self.in_channels = num_classes, in_channels
        self.temperature = float(temperature)
        if self.temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.std_loss_weight = std_loss_weight
        self.label_loss_weight = label_loss_weight
        self.label_class_loss_weight = label_class_loss_weight
        self.teacher_samples = check_choice(teacher_samples, 'teacher_samples', TEACHER_SAMPLES)
        if int(num_teacher_samples) < 1:
            raise ValueError(f'num_teacher_samples must be >= 1, got {num_teacher_samples}')
        self.num_teacher_samples = int(num_teacher_samples)
        self.ignore_index = ignore_index
        self.decoupler = MODELS.build(decoupler)
        if not isinstance(self.decoupler, BaseDecoupler):
            raise TypeError(f'decoupler must be a BaseDecoupler, got '
                            f'{type(self.decoupler).__name__}')
        if any(p.requires_grad for p in self.decoupler.parameters()):
            raise ValueError(f'{type(self.decoupler).__name__} learns its bands, but a teacher '
                             'bank is made once with fixed bands; use a fixed decoupler')
        self.bands = tuple(self.decoupler.band_names)
        self.band_losses = nn.ModuleDict({
            band: MODELS.build(dict(low_loss if i == 0 else high_loss, standardize=False))
            for i, band in enumerate(self.bands)})
        self.shared_heads = nn.ModuleDict({band: MODELS.build(dict(
            shared_head, in_channels=in_channels, num_classes=num_classes,
            ignore_index=ignore_index)) for band in self.bands}) if self.terms['align'] else None
        self.bank = TeacherBank(expected=self.bank_layout())
        if bank_file is not None:
            self.load_bank(load_bank(bank_file), bank_file)

    # ------------------------------------------------------------------------------- the bank
    @property
    def uses_bank(self) -> bool:
        """Whether a switched-on term reads the teacher bank (without pairs). With only
        ``align`` on and ``align_teacher`` off the heads see the student alone: a teacher-free
        control that needs no bank."""
        terms = self.terms
        return (terms['feature'] or terms['std'] or terms['label'] or terms['label_class']
                or (terms['align'] and terms['align_teacher']))

    def bank_layout(self) -> dict:
        """What a bank must have been made for: classes, width, band layout, τ."""
        return dict(num_classes=self.num_classes, dim=self.in_channels,
                    bands=band_layout(self.decoupler), temperature=self.temperature)

    def load_bank(self, state: dict, source: str = 'the bank') -> None:
        """Hold a bank after checking it fits (:class:`~fdkd_mm.models.banks.BankMismatchError`
        otherwise; a bank restored from a checkpoint is checked the same way)."""
        self.bank.set_state(state, source)

    def standardized_bands(self, feat: Tensor) -> tuple[Tensor, ...]:
        """``Std`` of each FD band of ``feat`` (float32), per sample or per pixel."""
        return tuple(standardize(band) for band in self.decoupler(feat.float()))

    def input_channels(self) -> dict[str, int]:
        """The width dim 1 of each feature argument must have (checked by the distiller)."""
        return dict(student_feat=self.in_channels, teacher_feat=self.in_channels)

    # -------------------------------------------------------------------------------- targets
    def _bank_targets(self, device: torch.device, dense: bool) -> ClassTargets:
        if not self.bank.filled:
            raise RuntimeError(
                'the teacher bank of UnpairedFDLoss is empty: build it before training '
                "(custom_hooks=[dict(type='fdkd_mm.BuildTeacherBankHook')] with a teacher_bank "
                'config, or tools/build_teacher_bank.py and bank_file=...), or map '
                'teacher_feat of a paired batch')
        layout = self.bank.manifest.get('layout')
        if layout != ('dense' if dense else 'pooled'):
            raise ValueError(f'the teacher bank holds {layout} statistics, the student '
                             f'feature is {"dense" if dense else "pooled"}; build the bank '
                             'from the same kind of feature')
        f32 = torch.float32
        means = self.bank.tensor('means', device, f32)
        variances = self.bank.tensor('variances', device, f32) if self.terms['std'] else None
        return ClassTargets(
            counts=self.bank.tensor('counts', device, f32), means=list(means.unbind(0)),
            variances=list(variances.unbind(0)) if variances is not None else None,
            label_counts=self.bank.tensor('label_counts', device, f32),
            label_dist=self.bank.tensor('label_dist', device, f32))

    def _batch_targets(self, teacher_feat: Tensor, teacher_logits: Optional[Tensor],
                       labels: Tensor, like: Tensor) -> tuple[ClassTargets, list]:
        """Targets of a paired batch: its teacher's class statistics, and its band rows."""
        teacher_feat = match_grid(teacher_feat.detach().float(), like)
        bands = self.standardized_bands(teacher_feat)
        rows_labels = row_labels(labels, teacher_feat)
        stats = [class_statistics(to_rows(band), rows_labels, self.num_classes,
                                  self.ignore_index, self.terms['std']) for band in bands]
        label_counts = label_dist = None
        if teacher_logits is not None:
            logits = teacher_logits.detach().float()
            probs = F.softmax(logits / self.temperature, dim=1)
            label_stats = class_statistics(to_rows(probs), row_labels(labels, logits),
                                           self.num_classes, self.ignore_index)
            label_counts, label_dist = label_stats.counts, label_stats.means
        targets = ClassTargets(
            counts=stats[0].counts, means=[s.means for s in stats],
            variances=[s.variances for s in stats] if self.terms['std'] else None,
            label_counts=label_counts, label_dist=label_dist)
        return targets, list(bands)

    def _teacher_head_rows(self, device: torch.device) -> tuple[list, Tensor]:
        """Teacher rows for the shared heads, one (M, D) tensor per band, and their labels."""
        mode = self.teacher_samples
        if mode == 'auto':
            mode = 'replay' if self.bank.has_samples else 'gaussian'
        count = self.num_teacher_samples
        if mode == 'replay':
            if not self.bank.has_samples:
                raise ValueError("teacher_samples='replay' needs a bank that keeps the teacher's "
                                 'samples (teacher_bank.keep_samples=True, pooled features)')
            features = self.bank.tensor('features', device, torch.float32)
            index = torch.randint(len(features), (count,), device=device)
            labels = self.bank.tensor('labels', device)[index]
            return list(self.standardized_bands(features[index])), labels
        counts = self.bank.tensor('counts', device, torch.float32)
        labels = torch.multinomial(counts, count, replacement=True)
        means = self.bank.tensor('means', device, torch.float32)
        stds = self.bank.tensor('variances', device, torch.float32).sqrt()
        rows = []
        for b in range(len(self.bands)):
            centre = means[b, labels]
            rows.append(standardize(centre + stds[b, labels] * torch.randn_like(centre)))
        return rows, labels

    # -------------------------------------------------------------------------------- forward
    def forward(self, target: Tensor, student_feat: Optional[Tensor] = None,
                student_logits: Optional[Tensor] = None, teacher_feat: Optional[Tensor] = None,
                teacher_logits: Optional[Tensor] = None) -> dict[str, Tensor]:
        """All switched-on terms for one batch of the student's modality.

        Args:
            target: Labels, (N,) class ids or (N, H, W) label maps.
            student_feat: (N, D) vectors or (N, D, h, w) maps (feature, std, align terms).
            student_logits: (N, K) or (N, K, h', w') logits (label terms).
            teacher_feat: Teacher features of the same (paired) batch: align to their
                statistics instead of the bank's.
            teacher_logits: Teacher logits of the paired batch (label terms in that mode).

        Returns:
            Loss dict with the keys of the module docstring.
        """
        uses_feat = self.terms['feature'] or self.terms['std'] or self.terms['align']
        if uses_feat and student_feat is None:
            raise ValueError("UnpairedFDLoss's feature / std / align terms need the student's "
                             "feature: map student_feat=dict(from_student=True, recorder='feat')"
                             ', or switch those terms off')
        reference = student_feat if student_feat is not None else student_logits
        if reference is None:
            raise ValueError('UnpairedFDLoss has nothing to align: map student_feat and/or '
                             'student_logits')
        labels = target.to(reference.device)
        teacher_bands = None
        if teacher_feat is not None:
            if student_feat is None:
                raise ValueError('teacher_feat (a paired batch) needs student_feat mapped too')
            targets, teacher_bands = self._batch_targets(teacher_feat, teacher_logits, labels,
                                                         student_feat.float())
        elif self.uses_bank:
            targets = self._bank_targets(reference.device, reference.dim() == 4)
        else:  # the heads on the student alone: nothing of the teacher is read
            targets = None
        losses = {}
        if uses_feat:
            losses.update(self._feature_losses(student_feat.float(), labels, targets,
                                               teacher_bands))
        if self.terms['label'] or self.terms['label_class']:
            losses.update(self._label_losses(student_logits, labels, targets))
        return losses

    def _feature_losses(self, feat: Tensor, labels: Tensor, targets: ClassTargets,
                        teacher_bands: Optional[list]) -> dict[str, Tensor]:
        student_bands = self.standardized_bands(feat)
        losses = {}
        if self.terms['feature'] or self.terms['std']:  # the heads alone need no statistics
            rows_labels = row_labels(labels, feat)
            stats = [class_statistics(to_rows(band), rows_labels, self.num_classes,
                                      self.ignore_index, self.terms['std'])
                     for band in student_bands]
        if self.terms['feature']:
            present = (stats[0].counts > 0) & (targets.counts > 0)
            scale = self.num_classes / present.sum().clamp_min(1)
            mask = present[:, None].float()
            for band, stat, mean in zip(self.bands, stats, targets.means):
                # Absent classes are zero on both sides (σ(0) = 0): the band loss's mean over
                # K·D elements, rescaled to the K_present·D that count.
                losses[f'distill.loss_{band}_mean'] = scale * self.band_losses[band](
                    stat.means * mask, mean * mask)
        if self.terms['std']:
            both = (stats[0].counts > 1) & (targets.counts > 1)
            for band, stat, variance in zip(self.bands, stats, targets.variances):
                error = (stat.variances.clamp_min(1e-12).sqrt()
                         - variance.clamp_min(1e-12).sqrt()) ** 2
                losses[f'distill.loss_{band}_std'] = self.std_loss_weight * weighted_mean(
                    error.mean(dim=1), both.to(error.dtype))
        if self.terms['align']:
            losses.update(self._align_losses(student_bands, labels, teacher_bands, feat.device))
        return losses

    def _label_losses(self, student_logits: Optional[Tensor], labels: Tensor,
                      targets: ClassTargets) -> dict[str, Tensor]:
        if student_logits is None:
            raise ValueError("UnpairedFDLoss's label terms need the student's logits: map "
                             "student_logits=dict(from_student=True, recorder='logits'), or "
                             'switch terms label / label_class off')
        if targets.label_dist is None:
            raise ValueError('the label terms with a paired batch need teacher_logits mapped')
        logits = student_logits.float()
        rows, rows_labels = to_rows(logits), row_labels(labels, logits)
        log_q = F.log_softmax(rows / self.temperature, dim=1)
        losses = {}
        scale = self.temperature ** 2
        if self.terms['label']:
            valid = valid_rows(rows_labels, self.num_classes, self.ignore_index)
            index = torch.where(valid, rows_labels, torch.zeros_like(rows_labels))
            valid = valid & (targets.label_counts[index] > 0)
            kl = F.kl_div(log_q, targets.label_dist[index], reduction='none').sum(dim=1)
            losses['distill.loss_label'] = self.label_loss_weight * scale * weighted_mean(
                kl, valid.float())
        if self.terms['label_class']:
            student = class_statistics(log_q.exp(), rows_labels, self.num_classes,
                                       self.ignore_index)
            present = (student.counts > 0) & (targets.label_counts > 0)
            kl = F.kl_div(student.means.clamp_min(1e-12).log(), targets.label_dist,
                          reduction='none').sum(dim=1)
            losses['distill.loss_label_class'] = self.label_class_loss_weight * scale * \
                weighted_mean(kl, present.to(kl.dtype))
        return losses

    def _align_losses(self, student_bands: tuple, labels: Tensor,
                      teacher_bands: Optional[list], device: torch.device) -> dict[str, Tensor]:
        with_teacher = self.terms['align_teacher']
        if teacher_bands is not None:
            teacher_rows, teacher_labels = teacher_bands, labels
        elif with_teacher:
            teacher_rows, teacher_labels = self._teacher_head_rows(device)
        else:  # the ablation without teacher rows: the heads see the student alone
            teacher_rows, teacher_labels = [None] * len(self.bands), None
        losses = {}
        # Std rows have unit norm, entries ~1/√D: a linear head on them could only give logits
        # up to ‖W‖. Scaled by √D (unit RMS per entry) they meet a head at the scale its
        # initialisation and learning rate are made for; the factor is the same on both sides.
        scale = self.in_channels ** 0.5
        for band, student, teacher in zip(self.bands, student_bands, teacher_rows):
            head = self.shared_heads[band]
            losses[f'align.loss_{band}_student'] = head.loss(scale * student, labels)
            if with_teacher:
                losses[f'align.loss_{band}_teacher'] = head.loss(scale * teacher,
                                                                 teacher_labels)
        return losses

    def extra_repr(self) -> str:
        terms = ', '.join(f'{k}={v}' for k, v in self.terms.items())
        return (f'num_classes={self.num_classes}, in_channels={self.in_channels}, '
                f'temperature={self.temperature}, {terms}')
