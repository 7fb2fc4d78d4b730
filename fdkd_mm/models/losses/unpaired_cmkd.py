"""The published algorithm of "Cross-Modal Knowledge Distillation without Paired Data" (2026).

Two terms on a batch of the student's modality (docs/unpaired.md):

    distill.loss_fa = λ_fa · Sinkhorn cost between the student's batch of pooled features and a
                      batch of the teacher's (:mod:`.ot_feature_align`)
    distill.loss_la = λ_la · −mean_i [log p_S(y_i) − κ_i(y_i) · log p_T(y_i)],  p_T from the
                      teacher's classifier on the student's feature (:mod:`.head_label_align`)

The teacher's knowledge comes from one of two sources (``teacher_source``):

* ``'bank'`` (without pairs): a :class:`~fdkd_mm.models.banks.TeacherBank` built from the
  teacher's own data by :class:`~fdkd_mm.engine.hooks.BuildTeacherBankHook`. FA replays a
  random batch of the bank's per-sample pooled features each step; LA uses the teacher
  classifier the bank carries. The distiller is teacher-free (``teacher=None``).
* ``'batch'``: whatever the distiller maps as ``teacher_feat`` (the teacher's pooled features
  of some batch) and ``teacher_head_weight`` / ``teacher_head_bias`` (parameter recorders of
  its classifier): the authors' own protocol, where a live frozen teacher sees the other
  modality of the same (paired) batch and the losses ignore the pairing.
"""
from typing import Optional

import torch
from torch import Tensor, nn

from fdkd_mm.config.typed_args import check_bool_dict, check_choice
from fdkd_mm.models.banks import TeacherBank, load_bank
from fdkd_mm.models.losses.frequency_align import standardize
from fdkd_mm.models.losses.head_label_align import head_label_alignment, linear_head
from fdkd_mm.models.losses.ot_feature_align import sinkhorn_feature_cost
from fdkd_mm.registry import MODELS

TERMS = dict(fa=True, la=True)
TEACHER_SOURCES = ('bank', 'batch')
#: The one band this loss summarises a bank in (it reads the bank's samples and classifier,
#: not its class statistics; the builder summarises every bank the same way).
WHOLE_FEATURE = dict(decoupler='none', bands=['whole'])


@MODELS.register_module()
class UnpairedCMKDLoss(nn.Module):
    """Feature alignment by optimal transport and label alignment through the teacher's head.

    Args:
        num_classes: Classes K of the student's logits (and of the teacher's classifier).
        in_channels: Width D of the pooled features (the student's, after its connector, and
            the teacher's: FA compares them and LA feeds the student's to the teacher's head).
        terms: Switches ``fa`` and ``la`` (both on by default).
        fa_loss_weight: λ_fa.
        la_loss_weight: λ_la.
        sinkhorn: ``reg`` and ``num_iter_max`` of POT's Sinkhorn (the authors: 0.1, 100),
            ``stop_threshold`` (POT's default 1e-9).
        clamp_cost: Clamp the cost ``1 − cos`` at 0 (the authors' ``sumall``; their
            ``bilevel`` does not).
        normalize_eps: ε of the L2 normalisation ``x / (‖x‖ + ε)`` (1e-8).
        la_teacher_grad: LA's teacher term ``log p_T`` carries gradient into the student's
            feature (``sumall``); False computes ``p_T`` as a constant (``bilevel``).
        teacher_source: ``'bank'`` or ``'batch'`` (module docstring).
        teacher_batch_size: Teacher features FA replays from the bank per step; None: as many
            as the student's batch (the authors' batches are equal).
        bank_file: A bank from ``tools/build_teacher_bank.py``, loaded now; None: empty until
            the hook fills it or a checkpoint restores it.
    """

    #: The result's keys are complete log keys.
    log_keys_are_final = True

    def __init__(self, num_classes: int, in_channels: int, terms: Optional[dict] = None,
                 fa_loss_weight: float = 1.0, la_loss_weight: float = 1.0,
                 sinkhorn: Optional[dict] = None, clamp_cost: bool = True,
                 normalize_eps: float = 1e-8, la_teacher_grad: bool = True,
                 teacher_source: str = 'bank', teacher_batch_size: Optional[int] = None,
                 bank_file: Optional[str] = None) -> None:
        super().__init__()
        self.terms = dict(TERMS)
        self.terms.update(check_bool_dict(terms or {}, 'terms', allowed=TERMS))
        if not any(self.terms.values()):
            raise ValueError('UnpairedCMKDLoss: every term is off (terms.fa, terms.la)')
        self.num_classes, self.in_channels = int(num_classes), int(in_channels)
        self.fa_loss_weight, self.la_loss_weight = float(fa_loss_weight), float(la_loss_weight)
        self.sinkhorn = dict(reg=0.1, num_iter_max=100, stop_threshold=1e-9)
        unknown = sorted(set(sinkhorn or {}) - set(self.sinkhorn))
        if unknown:
            raise ValueError(f'sinkhorn has unknown entries {unknown}; known: '
                             f'{sorted(self.sinkhorn)}')
        self.sinkhorn.update(sinkhorn or {})
        self.clamp_cost = bool(clamp_cost)
        self.normalize_eps = float(normalize_eps)
        self.la_teacher_grad = bool(la_teacher_grad)
        self.teacher_source = check_choice(teacher_source, 'teacher_source', TEACHER_SOURCES)
        if teacher_batch_size is not None and int(teacher_batch_size) < 1:
            raise ValueError(f'teacher_batch_size must be >= 1 or None, got {teacher_batch_size}')
        self.teacher_batch_size = teacher_batch_size
        # What the bank builder reads of a bank holder (see WHOLE_FEATURE).
        self.bands, self.temperature, self.ignore_index = tuple(WHOLE_FEATURE['bands']), 1.0, 255
        # Any bank of this width and these classes serves (one built for UnpairedFDLoss too).
        self.bank = TeacherBank(expected=dict(num_classes=self.num_classes, dim=self.in_channels))
        if bank_file is not None:
            self.load_bank(load_bank(bank_file), bank_file)

    # ------------------------------------------------------------------------------- the bank
    @property
    def uses_bank(self) -> bool:
        """Whether the teacher's knowledge comes from a bank (so the hook must build one)."""
        return self.teacher_source == 'bank'

    def bank_layout(self) -> dict:
        """The layout a bank built for this loss records."""
        return dict(num_classes=self.num_classes, dim=self.in_channels,
                    bands=dict(WHOLE_FEATURE), temperature=self.temperature)

    def standardized_bands(self, feat: Tensor) -> tuple[Tensor]:
        """The bank builder's statistics of this loss: the standardised feature, one band."""
        return (standardize(feat.float()), )

    def load_bank(self, state: dict, source: str = 'the bank') -> None:
        """Hold a bank (checked: classes, width; samples for FA, a classifier for LA)."""
        self.bank.set_state(state, source)
        self._check_bank_has(source)

    def _check_bank_has(self, source: str) -> None:
        if self.terms['fa'] and not self.bank.has_samples:
            raise ValueError(f'{source} keeps no per-sample teacher features, which FA replays: '
                             'build it with teacher_bank.keep_samples=True (pooled features)')
        if self.terms['la'] and not self.bank.has_classifier:
            raise ValueError(f'{source} carries no teacher classifier, which LA needs: build it '
                             "again with teacher_bank.classifier='auto' or the path of the "
                             "teacher's nn.Linear head (e.g. 'head.fc')")

    def input_channels(self) -> dict[str, int]:
        """The width dim 1 of each feature argument must have (checked by the distiller)."""
        return dict(student_feat=self.in_channels, teacher_feat=self.in_channels)

    # ------------------------------------------------------------------------------- sources
    def _bank_features(self, count: int, device: torch.device) -> Tensor:
        """A random batch of ``count`` teacher features from the bank, without replacement."""
        self._require_bank()
        features = self.bank.tensor('features', device, torch.float32)
        if len(features) < count:
            raise ValueError(f'FA replays {count} teacher features per step but the bank holds '
                             f'{len(features)}; set teacher_batch_size <= {len(features)}')
        return features[torch.randperm(len(features), device=device)[:count]]

    def _require_bank(self) -> None:
        if not self.bank.filled:
            raise RuntimeError(
                "the teacher bank of UnpairedCMKDLoss is empty: build it before training "
                "(custom_hooks=[dict(type='fdkd_mm.BuildTeacherBankHook')] with a teacher_bank "
                "config, or tools/build_teacher_bank.py and bank_file=...), or use "
                "teacher_source='batch' with a teacher mapped")
        self._check_bank_has('the teacher bank of UnpairedCMKDLoss')

    def _teacher_head(self, weight: Optional[Tensor], bias: Optional[Tensor],
                      device: torch.device) -> tuple[Tensor, Optional[Tensor]]:
        if self.teacher_source == 'bank':
            self._require_bank()
            return (self.bank.tensor('classifier_weight', device, torch.float32),
                    self.bank.tensor('classifier_bias', device, torch.float32))
        if weight is None:
            raise ValueError("UnpairedCMKDLoss (teacher_source='batch'): LA needs the teacher's "
                             "classifier: map teacher_head_weight (and teacher_head_bias) to "
                             "parameter recorders of the teacher, e.g. dict(path='head.fc.weight',"
                             " source='parameter')")
        return weight, bias

    # -------------------------------------------------------------------------------- forward
    def forward(self, target: Tensor, student_feat: Tensor,
                student_logits: Optional[Tensor] = None, teacher_feat: Optional[Tensor] = None,
                teacher_head_weight: Optional[Tensor] = None,
                teacher_head_bias: Optional[Tensor] = None) -> dict[str, Tensor]:
        """FA and LA for one batch of the student's modality.

        Args:
            target: (N,) class ids.
            student_feat: (N, D) the student's pooled features.
            student_logits: (N, K) the student's logits (LA).
            teacher_feat: (M, D) teacher features of some batch (``teacher_source='batch'``);
                M may differ from N.
            teacher_head_weight: (K, D) the teacher classifier's weight (``'batch'``).
            teacher_head_bias: (K,) its bias (``'batch'``).

        Returns:
            ``distill.loss_fa`` and / or ``distill.loss_la``.
        """
        check_features('student_feat', student_feat, self.in_channels)
        losses = {}
        if self.terms['fa']:
            teacher = self._fa_teacher(teacher_feat, len(student_feat), student_feat.device)
            check_finite(student_feat, teacher)
            losses['distill.loss_fa'] = self.fa_loss_weight * sinkhorn_feature_cost(
                full_precision(student_feat), full_precision(teacher.detach()),
                reg=self.sinkhorn['reg'], num_iter_max=self.sinkhorn['num_iter_max'],
                stop_threshold=self.sinkhorn['stop_threshold'], clamp_cost=self.clamp_cost,
                eps=self.normalize_eps)
        if self.terms['la']:
            losses['distill.loss_la'] = self.la_loss_weight * self._label_alignment(
                target, student_feat, student_logits, teacher_head_weight, teacher_head_bias)
        return losses

    def _fa_teacher(self, teacher_feat: Optional[Tensor], batch: int,
                    device: torch.device) -> Tensor:
        if self.teacher_source == 'bank':
            return self._bank_features(self.teacher_batch_size or batch, device)
        if teacher_feat is None:
            raise ValueError("UnpairedCMKDLoss (teacher_source='batch'): FA needs the teacher's "
                             "features: map teacher_feat=dict(from_student=False, "
                             "recorder='feat')")
        check_features('teacher_feat', teacher_feat, self.in_channels)
        return teacher_feat

    def _label_alignment(self, target: Tensor, student_feat: Tensor,
                         student_logits: Optional[Tensor], weight: Optional[Tensor],
                         bias: Optional[Tensor]) -> Tensor:
        if student_logits is None:
            raise ValueError("UnpairedCMKDLoss's LA needs the student's logits: map "
                             "student_logits=dict(from_student=True, recorder='logits'), or "
                             'switch terms.la off')
        weight, bias = self._teacher_head(weight, bias, student_feat.device)
        expected = (student_logits.shape[-1], self.in_channels)
        if student_logits.dim() != 2 or tuple(student_logits.shape) != (len(student_feat),
                                                                          self.num_classes):
            raise ValueError(f'UnpairedCMKDLoss: student_logits is {tuple(student_logits.shape)},'
                             f' expected ({len(student_feat)}, {self.num_classes}) for '
                             f'student_feat {tuple(student_feat.shape)}')
        if tuple(weight.shape) != expected or (bias is not None
                                               and tuple(bias.shape) != expected[:1]):
            bias_shape = tuple(bias.shape) if bias is not None else None
            raise ValueError(f'UnpairedCMKDLoss: the teacher classifier (weight '
                             f'{tuple(weight.shape)}, bias {bias_shape}) does not map the '
                             f'student feature width {self.in_channels} to the student\'s '
                             f'{student_logits.shape[-1]} classes: expected weight {expected}')
        head_logits = linear_head(full_precision(student_feat), weight, bias)
        return head_label_alignment(full_precision(student_logits), head_logits, target,
                                    teacher_grad=self.la_teacher_grad)

    def extra_repr(self) -> str:
        terms = ', '.join(f'{k}={v}' for k, v in self.terms.items())
        return (f'num_classes={self.num_classes}, in_channels={self.in_channels}, '
                f'teacher_source={self.teacher_source!r}, {terms}')


def full_precision(tensor: Tensor) -> Tensor:
    """``tensor`` in float32, or float64 if it is (half precision would make Sinkhorn's
    ``exp(−M / reg)`` and the normalisation coarse)."""
    return tensor if tensor.dtype == torch.float64 else tensor.float()


def check_features(name: str, feat: Tensor, width: int) -> None:
    """Raise a ValueError naming ``name`` and its shape unless it is a non-empty (N, width)."""
    if feat.dim() != 2 or feat.shape[1] != width or feat.shape[0] == 0:
        raise ValueError(f'UnpairedCMKDLoss: {name} is {tuple(feat.shape)}; it needs pooled '
                         f'features (N, {width}) with N >= 1 (a pooled recorder, pool=\'avg\')')


def check_finite(student: Tensor, teacher: Tensor) -> None:
    """Raise a ValueError naming the side whose features hold NaN / Inf (one host sync)."""
    finite = torch.stack([torch.isfinite(student).all(), torch.isfinite(teacher).all()])
    if not bool(finite.all()):
        bad = [name for name, ok in zip(('student_feat', 'teacher features'), finite.tolist())
               if not ok]
        raise ValueError(f'UnpairedCMKDLoss: {" and ".join(bad)} hold NaN or Inf values; the '
                         'Sinkhorn cost of such a batch is undefined')
