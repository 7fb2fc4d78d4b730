"""FD-CMKD: frequency-decoupled cross-modal knowledge distillation (METHOD.md, Eq. 11)."""
from typing import Literal, Optional, Union

import torch.nn.functional as F
from mmengine.logging import print_log
from torch import Tensor, nn

from fdkd_mm.models.builder import build_scoped
from fdkd_mm.models.connectors import head_losses, resize_labels
from fdkd_mm.models.distillers.base import BaseCrossModalDistiller, gather_labels
from fdkd_mm.registry import MODELS

ABLATION_SWITCHES = ('frequency', 'align', 'scale', 'log')


def pool_features(feature: Tensor, batch_size: int, pool: Optional[str]) -> Tensor:
    """Pool a recorded feature to one vector per sample, or check a dense map's batch.

    Args:
        feature: (B, D) or (B, D, H, W). With ``pool='avg'``, ``B`` may be a multiple ``N*T`` of
            the batch size for frame-folded video (sample-major: row ``n*T + t``); the frames are
            averaged too.
        batch_size: Number of samples N.
        pool: ``'avg'`` or ``None`` (keep dense maps).

    Returns:
        (N, D) when pooled, else the feature unchanged.
    """
    if pool is None:
        if feature.shape[0] != batch_size:
            raise ValueError(f'recorded feature of shape {tuple(feature.shape)} does not match '
                             f'the batch of {batch_size}; set pool="avg" for folded frames')
        return feature
    if pool != 'avg':
        raise ValueError(f"pool must be 'avg' or None, got {pool!r}")
    if feature.dim() > 2:
        feature = feature.flatten(2).mean(-1)
    if feature.shape[0] != batch_size:
        if feature.shape[0] % batch_size:
            raise ValueError(f'recorded feature batch {feature.shape[0]} is not a multiple of '
                             f'the batch size {batch_size}')
        feature = feature.view(batch_size, -1, feature.shape[-1]).mean(1)
    return feature


@MODELS.register_module()
class FrequencyDecoupledDistiller(BaseCrossModalDistiller):
    """Distil a student from a cross-modal teacher with frequency-decoupled feature alignment.

    Both recorded features (optionally pooled and projected to a common width D) are split by
    the decoupler into low and high bands. The total loss (Eq. 11) is

    ``L = L_task + L_align + λ1·L_low + λ2·L_high`` with
      * ``L_task``: the student's own loss (``student.*``) plus auxiliary student heads on
        ``S_low`` / ``S_high`` (``aux.loss_low``, ``aux.loss_high``);
      * ``L_align``: shared heads Φ_l / Φ_h classifying student *and* teacher band features
        (``align.loss_{low,high}_{student,teacher}``); teacher features are detached, so the
        teacher terms only train the heads;
      * ``L_low = MSE(Std(S_low), Std(T_low))`` (``distill.loss_low``),
        ``L_high = MSE(σ(Std(S_high)), σ(Std(T_high)))`` (``distill.loss_high``).

    The four switches of the ablation (Table 4) remove exactly their terms:
      * ``frequency=False``: no decoupling; one loss on the whole feature
        (``distill.loss_feat``), one shared head (``align.loss_feat_*``) and no auxiliary band
        heads. With every switch off this is plain feature MSE ("Feat").
      * ``align=False``: no shared-head terms.
      * ``scale=False``: no ``Std`` before the alignment losses.
      * ``log=False``: the high band uses plain MSE (no effect without ``frequency``).

    Args:
        num_classes: Number of classes K of the heads.
        in_channels: Feature width D the bands have (after any connector).
        pool: ``'avg'`` to pool recorded features to vectors (classification), ``None`` to keep
            dense maps (segmentation: one D-vector per pixel).
        student_connector: Optional connector config mapping the student feature to width D,
            e.g. ``dict(type='ProjectionConnector', in_channels=1280, out_channels=768)``.
        teacher_connector: Optional connector for the teacher feature (trained by the shared
            heads only: the alignment losses detach the teacher side).
        decoupler: Decoupler config. Defaults to ``FrequencyDecoupler(cutoff=0.5)``. A
            decoupler with a ``band_names`` attribute (e.g. ``MultiBandDecoupler``: ``band0``
            .. ``band{K-1}``) sets the band names of the loss keys and heads; others give
            ``low`` / ``high``.
        low_loss: Low-band loss config (λ1 = its ``loss_weight``).
        high_loss: High-band loss config (λ2 = its ``loss_weight``).
        band_loss: Optional ``MultiBandAlignLoss`` config with one loss per band, replacing
            ``low_loss`` / ``high_loss``; required when the decoupler has other than two
            bands. ``num_bands`` and ``standardize`` are filled in; ``log=False`` sets every
            band to ``'mse'``.
        shared_head: Config of Φ_l / Φ_h (``in_channels`` / ``num_classes`` filled in).
        aux_head: Config of the student's auxiliary band heads.
        ablation: Switches ``frequency``, ``align``, ``scale``, ``log`` (all True by default).
        ignore_index: Ignored label value of dense labels.
        **kwargs: Arguments of :class:`BaseCrossModalDistiller` (student, teacher, inputs,
            recorders, teacher_ckpt, data_preprocessor, init_cfg).
    """

    def __init__(self, num_classes: int, in_channels: int, pool: Optional[Literal['avg']] = None,
                 student_connector: Optional[dict] = None,
                 teacher_connector: Optional[dict] = None,
                 decoupler: Union[dict, nn.Module] = dict(type='FrequencyDecoupler', cutoff=0.5),
                 low_loss: dict = dict(type='FrequencyAlignLoss', mode='mse', loss_weight=1.0),
                 high_loss: dict = dict(type='FrequencyAlignLoss', mode='log_mse',
                                        loss_weight=1.0),
                 shared_head: dict = dict(type='SharedHead', loss_weight=1.0),
                 aux_head: dict = dict(type='SharedHead', loss_weight=1.0),
                 ablation: Optional[dict] = None, ignore_index: int = 255,
                 band_loss: Optional[dict] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        switches = dict.fromkeys(ABLATION_SWITCHES, True)
        unknown = set(ablation or {}) - switches.keys()
        if unknown:
            raise ValueError(f'unknown ablation switches {sorted(unknown)}; valid: '
                             f'{list(ABLATION_SWITCHES)}')
        switches.update(ablation or {})
        self.ablation = switches
        if not switches['frequency'] and switches['log']:
            print_log('ablation: log=True has no effect with frequency=False (no high band)',
                      logger='current')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.pool = pool
        self.ignore_index = ignore_index
        self.student_connector = build_scoped(student_connector) if student_connector else None
        self.teacher_connector = build_scoped(teacher_connector) if teacher_connector else None

        def loss_cfg(cfg: dict, log_mode: bool) -> dict:
            cfg = dict(cfg, standardize=switches['scale'])
            if not log_mode:
                cfg['mode'] = 'mse'
            if (switches['frequency']
                    and cfg.get('type') in ('FrequencyAlignLoss', 'fdkd_mm.FrequencyAlignLoss')
                    # A spatial decoupler removes the spatial mean, not the channel mean.
                    and getattr(self.decoupler, 'zero_channel_mean', True)):
                # Bands carry no DC bin, so their mean is zero: Std needs no centring pass.
                cfg.setdefault('centre', False)
            return cfg

        def head_cfg(cfg: dict) -> dict:
            return dict(cfg, in_channels=in_channels, num_classes=num_classes,
                        ignore_index=ignore_index)

        if switches['frequency']:
            self.decoupler = build_scoped(decoupler)
            self.bands = tuple(getattr(self.decoupler, 'band_names', ('low', 'high')))
            self.band_losses = self._build_band_losses(low_loss, high_loss, band_loss,
                                                       loss_cfg)
            self.aux_heads = nn.ModuleDict(
                {band: build_scoped(head_cfg(aux_head)) for band in self.bands})
        else:
            self.bands = ('feat',)
            self.decoupler = None
            self.band_losses = nn.ModuleDict({'feat': build_scoped(loss_cfg(low_loss, False))})
            self.aux_heads = None
        self.shared_heads = nn.ModuleDict(
            {band: build_scoped(head_cfg(shared_head)) for band in self.bands}
        ) if switches['align'] else None

    def _build_band_losses(self, low_loss: dict, high_loss: dict, band_loss: Optional[dict],
                           loss_cfg) -> nn.ModuleDict:
        """One alignment loss per band name: low/high pair, or a MultiBandAlignLoss's K losses."""
        if band_loss is None:
            if len(self.bands) != 2:
                raise ValueError(
                    f'the decoupler gives {len(self.bands)} bands {self.bands}; configure '
                    "band_loss=dict(type='MultiBandAlignLoss', modes=..., loss_weights=...) "
                    'instead of low_loss / high_loss')
            return nn.ModuleDict({
                self.bands[0]: build_scoped(loss_cfg(low_loss, log_mode=False)),
                self.bands[1]: build_scoped(loss_cfg(high_loss, log_mode=self.ablation['log'])),
            })
        cfg = dict(band_loss, num_bands=len(self.bands), standardize=self.ablation['scale'])
        if getattr(self.decoupler, 'zero_channel_mean', True):
            cfg.setdefault('centre', False)  # as for low_loss / high_loss: no DC in any band
        if not self.ablation['log']:
            cfg['modes'] = 'mse'
        per_band = build_scoped(cfg)
        return nn.ModuleDict(dict(zip(self.bands, per_band.losses, strict=True)))

    def _prepare(self, student: Tensor, teacher: Tensor, batch_size: int) -> tuple[Tensor, Tensor]:
        """Pool, project and size-match the two recorded features."""
        student = pool_features(student, batch_size, self.pool)
        teacher = pool_features(teacher, batch_size, self.pool)
        if self.student_connector is not None:
            student = self.student_connector(student)
        if self.teacher_connector is not None:
            teacher = self.teacher_connector(teacher)
        if student.shape[1] != teacher.shape[1] or student.shape[1] != self.in_channels:
            raise ValueError(
                f'feature widths cannot meet: student {self.student_recorder.path!r} gives '
                f'{student.shape[1]} channels, teacher {self.teacher_recorder.path!r} gives '
                f'{teacher.shape[1]}, heads expect in_channels={self.in_channels}. Add '
                f"student_connector=dict(type='ProjectionConnector', "
                f'in_channels={student.shape[1]}, out_channels={teacher.shape[1]}) or fix '
                'the recorder paths / in_channels.')
        if student.dim() == 4 and student.shape[-2:] != teacher.shape[-2:]:
            # The teacher map is the target: resample it to the student's grid.
            teacher = F.interpolate(teacher, size=student.shape[-2:], mode='bilinear',
                                    align_corners=False)
        return student, teacher

    def distill_losses(self, student_feature: Tensor, teacher_feature: Tensor,
                       data_samples: list) -> dict[str, Tensor]:
        """Alignment, shared-head and auxiliary-head terms of Eq. 11, as a flat loss dict."""
        student, teacher = self._prepare(student_feature, teacher_feature, len(data_samples))
        if self.decoupler is not None:
            student_bands = dict(zip(self.bands, self.decoupler(student), strict=True))
            teacher_bands = dict(zip(self.bands, self.decoupler(teacher), strict=True))
        else:
            student_bands, teacher_bands = {'feat': student}, {'feat': teacher}
        # Teacher features come from a no_grad pass; the alignment losses detach them again, so
        # only the shared heads (and a teacher connector, if any) learn from the teacher terms.
        losses = {}
        for band in self.bands:
            losses[f'distill.loss_{band}'] = self.band_losses[band](
                student_bands[band], teacher_bands[band])
        if self.shared_heads is None and self.aux_heads is None:
            return losses
        labels = gather_labels(data_samples).to(student.device)
        if student.dim() == 4:
            # Once here instead of in each of the (up to 6) head calls.
            labels = resize_labels(labels, student.shape[-2:])
        for band in self.bands:
            # The student's shared and auxiliary heads classify the same band: one pass.
            student_heads = {}
            if self.shared_heads is not None:
                student_heads[f'align.loss_{band}_student'] = self.shared_heads[band]
                losses[f'align.loss_{band}_teacher'] = self.shared_heads[band].loss(
                    teacher_bands[band], labels)
            if self.aux_heads is not None:
                student_heads[f'aux.loss_{band}'] = self.aux_heads[band]
            losses.update(zip(student_heads, head_losses(list(student_heads.values()),
                                                         student_bands[band], labels)))
        return losses
