"""FD-CMKD: frequency-decoupled cross-modal knowledge distillation, as one loss module.

Paper: Liu, Zhang, Huang, Xu, Yang, "Distilling Cross-Modal Knowledge via Feature
Disentanglement", AAAI 2026 (arXiv 2511.19887). The method and our implementation choices are
written out in docs/method.md.

Both features (student S, teacher T, already pooled / projected to a common width D by the
distiller's recorders and connectors) are split by the decoupler into bands, by default low
and high along the feature dimension. The terms of Eq. 11 that are not the student's own task
loss are computed here::

    distill.loss_low  = λ1 · MSE(Std(S_low), Std(T_low))              strong consistency
    distill.loss_high = λ2 · MSE(σ(Std(S_high)), σ(Std(T_high)))      weak consistency
    align.loss_{b}_student / _teacher = CE(Φ_b(S_b), y) / CE(Φ_b(T_b), y)   shared heads Φ_l, Φ_h
    aux.loss_{b}      = CE(A_b(S_b), y)                               the student's band heads

with ``Std(v) = (v − mean v) / ‖v − mean v‖₂`` per sample (per pixel for dense maps) and
``σ(x) = sign(x)·log(1 + |x|)``. Teacher features are detached, so the teacher terms train
only the shared heads (and a teacher connector, if the distiller has one). Dense teacher maps
at another resolution are resampled onto the student's grid; dense labels are resized
(nearest) to it, ignore index respected.

The four switches of the ablation (Table 4) remove exactly their terms:

* ``frequency=False``: no decoupling; one loss on the whole feature (``distill.loss_feat``),
  one shared head (``align.loss_feat_*``) and no auxiliary band heads;
* ``align=False``: no shared-head terms;
* ``scale=False``: no ``Std`` before the alignment losses;
* ``log=False``: the high bands use plain MSE (no effect without ``frequency``).

With every switch off this is plain feature MSE, the "Feat" baseline.
"""
from typing import Optional, Union

from mmengine.logging import print_log
from torch import Tensor, nn

from fdkd_mm.models.decouplers import BaseDecoupler
from fdkd_mm.models.heads import head_losses
from fdkd_mm.models.resize import match_grid, resize_labels
from fdkd_mm.registry import MODELS
from fdkd_mm.config.typed_args import check_bool_dict

ABLATION_SWITCHES = ('frequency', 'align', 'scale', 'log')
_ALIGN_LOSS_TYPES = ('FrequencyAlignLoss', 'fdkd_mm.FrequencyAlignLoss')


def ablation_switches(ablation: Optional[dict]) -> dict[str, bool]:
    """The four switches with defaults (all on), each checked to be a real bool.

    Args:
        ablation: ``dict(frequency=..., align=..., scale=..., log=...)`` or None.

    Returns:
        All four switches.

    Raises:
        ValueError: For an unknown switch (the closest name is suggested).
        TypeError: For a value that is not ``True`` / ``False`` (e.g. the string ``'Flase'``
            from a mistyped ``--cfg-options``).
    """
    switches = dict.fromkeys(ABLATION_SWITCHES, True)
    switches.update(check_bool_dict(ablation or {}, 'ablation', allowed=ABLATION_SWITCHES))
    return switches


@MODELS.register_module()
class FDCMKDLoss(nn.Module):
    """The distillation, alignment and auxiliary terms of FD-CMKD (see the module docstring).

    Its keys are the log's own (``distill.*``, ``align.*``, ``aux.*``): the distiller logs
    them as they are instead of under ``distill.<loss name>.``.

    Args:
        num_classes: Number of classes K of the heads.
        in_channels: Feature width D of both inputs (after the distiller's connectors).
        decoupler: Decoupler config or module. Defaults to ``FrequencyDecoupler(cutoff=0.5)``.
            Its ``band_names`` name the loss keys and heads (``low`` / ``high``; ``band0`` ..
            for a :class:`~fdkd_mm.models.decouplers.MultiBandDecoupler`, ``approx`` /
            ``detail1`` .. for a wavelet decoupler).
        low_loss: Loss of the lowest band (λ1 = its ``loss_weight``).
        high_loss: Loss of every other band (λ2 = its ``loss_weight``); its ``mode`` becomes
            ``'mse'`` with ``log=False``.
        band_loss: Optional ``MultiBandAlignLoss`` config with one mode and weight per band,
            replacing ``low_loss`` / ``high_loss`` (``num_bands`` and ``standardize`` are
            filled in; ``log=False`` sets every band to ``'mse'``).
        shared_head: Config of Φ_b (``in_channels`` / ``num_classes`` / ``ignore_index``
            filled in).
        aux_head: Config of the student's auxiliary band heads.
        ablation: Switches ``frequency``, ``align``, ``scale``, ``log`` (all True by default).
        ignore_index: Ignored label value of dense labels.
    """

    #: The result's keys are complete log keys (see the distiller's ``loss``).
    log_keys_are_final = True

    def __init__(self, num_classes: int, in_channels: int,
                 decoupler: Union[dict, nn.Module] = dict(type='FrequencyDecoupler', cutoff=0.5),
                 low_loss: dict = dict(type='FrequencyAlignLoss', mode='mse', loss_weight=1.0),
                 high_loss: dict = dict(type='FrequencyAlignLoss', mode='log_mse',
                                        loss_weight=1.0),
                 band_loss: Optional[dict] = None,
                 shared_head: dict = dict(type='SharedHead', loss_weight=1.0),
                 aux_head: dict = dict(type='SharedHead', loss_weight=1.0),
                 ablation: Optional[dict] = None, ignore_index: int = 255) -> None:
        super().__init__()
        self.ablation = ablation_switches(ablation)
        if not self.ablation['frequency'] and self.ablation['log']:
            print_log('ablation: log=True has no effect with frequency=False (no high band)',
                      logger='current')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.ignore_index = ignore_index

        def head(cfg: dict) -> nn.Module:
            return MODELS.build(dict(cfg, in_channels=in_channels, num_classes=num_classes,
                                     ignore_index=ignore_index))

        if self.ablation['frequency']:
            self.decoupler = MODELS.build(decoupler)
            if not isinstance(self.decoupler, BaseDecoupler):
                raise TypeError(f'decoupler must be a BaseDecoupler (band names, input checks), '
                                f'got {type(self.decoupler).__name__}')
            self.bands = self.decoupler.band_names
            self.band_losses = self._build_band_losses(low_loss, high_loss, band_loss)
            self.aux_heads = nn.ModuleDict({band: head(aux_head) for band in self.bands})
        else:
            self.decoupler = None
            self.bands = ('feat',)
            self.band_losses = nn.ModuleDict({'feat': MODELS.build(
                self._align_loss_cfg(low_loss, log_mode=False))})
            self.aux_heads = None
        self.shared_heads = nn.ModuleDict(
            {band: head(shared_head) for band in self.bands}) if self.ablation['align'] else None

    def _bands_are_centred(self) -> bool:
        return self.decoupler is not None and self.decoupler.zero_channel_mean

    def _align_loss_cfg(self, cfg: dict, log_mode: bool) -> dict:
        """A band's alignment loss config with the Scale / Log switches applied."""
        cfg = dict(cfg, standardize=self.ablation['scale'])
        if not log_mode:
            cfg['mode'] = 'mse'
        if cfg.get('type') in _ALIGN_LOSS_TYPES and self._bands_are_centred():
            # Bands without the DC component have zero mean: Std needs no centring pass.
            cfg.setdefault('centre', False)
        return cfg

    def _build_band_losses(self, low_loss: dict, high_loss: dict,
                           band_loss: Optional[dict]) -> nn.ModuleDict:
        """One alignment loss per band: the low/high pair, or a MultiBandAlignLoss's K."""
        if band_loss is None:
            if len(self.bands) != 2:
                raise ValueError(
                    f'the decoupler gives {len(self.bands)} bands {self.bands}; configure '
                    "band_loss=dict(type='MultiBandAlignLoss', modes=..., loss_weights=...) "
                    'instead of low_loss / high_loss')
            return nn.ModuleDict({
                self.bands[0]: MODELS.build(self._align_loss_cfg(low_loss, log_mode=False)),
                self.bands[1]: MODELS.build(
                    self._align_loss_cfg(high_loss, log_mode=self.ablation['log'])),
            })
        cfg = dict(band_loss, num_bands=len(self.bands), standardize=self.ablation['scale'])
        if self._bands_are_centred():
            cfg.setdefault('centre', False)
        if not self.ablation['log']:
            cfg['modes'] = 'mse'
        per_band = MODELS.build(cfg)
        return nn.ModuleDict(dict(zip(self.bands, per_band.losses, strict=True)))

    def input_channels(self) -> dict[str, int]:
        """The width dim 1 of each feature argument must have (checked by the distiller)."""
        return dict(student_feat=self.in_channels, teacher_feat=self.in_channels)

    def forward(self, student_feat: Tensor, teacher_feat: Tensor,
                target: Optional[Tensor] = None) -> dict[str, Tensor]:
        """All FD-CMKD terms of one batch.

        Args:
            student_feat: (N, D) vectors or (N, D, h, w) maps.
            teacher_feat: Teacher features of the same layout and width (a dense map may have
                another resolution); detached by the alignment losses.
            target: Labels, (N,) class ids or (N, H, W) label maps; needed unless both
                ``align`` and ``frequency`` are off.

        Returns:
            Loss dict with the keys of the module docstring.
        """
        teacher_feat = match_grid(teacher_feat, student_feat)
        if self.decoupler is not None:
            student_bands = dict(zip(self.bands, self.decoupler(student_feat), strict=True))
            teacher_bands = dict(zip(self.bands, self.decoupler(teacher_feat), strict=True))
        else:
            student_bands, teacher_bands = {'feat': student_feat}, {'feat': teacher_feat}
        losses = {f'distill.loss_{band}': self.band_losses[band](student_bands[band],
                                                                 teacher_bands[band])
                  for band in self.bands}
        if self.shared_heads is None and self.aux_heads is None:
            return losses
        if target is None:
            raise ValueError('FDCMKDLoss needs the labels (map target=dict(labels=True)) for '
                             'its shared and auxiliary heads')
        labels = target.to(student_feat.device)
        if student_feat.dim() == 4:
            # Once here instead of in each of the (up to 6) head calls.
            labels = resize_labels(labels, student_feat.shape[-2:])
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

    def extra_repr(self) -> str:
        switches = ', '.join(f'{k}={v}' for k, v in self.ablation.items())
        return f'num_classes={self.num_classes}, in_channels={self.in_channels}, {switches}'
