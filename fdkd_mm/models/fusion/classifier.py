"""A classifier of several modalities: one backbone (+ neck) per modality, a fusion, one head."""
from collections.abc import Mapping
from typing import Optional, Union

from mmengine.model import BaseModel
from torch import Tensor, nn

from fdkd_mm.errors import ConfigError
from fdkd_mm.registry import MODELS


@MODELS.register_module()
class FusionClassifier(BaseModel):
    """The multimodal teacher of the "MM -> m" setting, an mmpretrain-style classifier.

    Each modality ``key`` of ``inputs={key: tensor}`` runs through ``backbones[key]`` and
    ``necks[key]`` (its pooling) to one (N, D_key) vector; :class:`FeatureFusion` joins the
    vectors in the order of ``backbones``; an mmpretrain head (e.g. ``LinearClsHead``)
    classifies the fused vector. ``forward`` has mmpretrain's three modes (``'tensor'``:
    logits, ``'loss'``, ``'predict'``: data samples with ``pred_score``), so it trains, tests
    and is distilled from like an ``ImageClassifier``; a distiller's teacher reads it with
    ``inputs=[...its keys...]``.

    Module paths for recorders: ``backbones.<key>.<...>`` (e.g. ``backbones.audio.layer4``),
    ``fusion`` (the fused feature, the head's input) and ``head.fc`` (logits).

    Args:
        backbones: Modality key → backbone config; the keys are the inputs it reads.
        necks: Modality key → neck config reducing that backbone's last output to (N, D), e.g.
            ``GlobalAveragePooling``; a modality without one must give (N, D) itself.
        fusion: :class:`FeatureFusion` config with ``in_channels`` in the order of
            ``backbones`` (configs state every width; the distiller checks them).
        head: mmpretrain head config (``in_channels`` = the fusion's ``out_channels``).
        data_preprocessor: A :class:`MultiModalDataPreprocessor` config with one preprocessor
            per modality of ``backbones``.
        init_cfg: MMEngine init config.

    Raises:
        ConfigError: Fewer than two modalities, a neck for an unknown modality, a
            preprocessor missing for a modality, or fusion / head widths that disagree.
    """

    def __init__(self, backbones: Mapping[str, dict], fusion: dict, head: dict,
                 data_preprocessor: dict, necks: Optional[Mapping[str, dict]] = None,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        if not isinstance(backbones, Mapping) or len(backbones) < 2:
            raise ConfigError(f'FusionClassifier.backbones needs two or more modalities, got '
                              f'{list(backbones or ())}')
        self.modalities = tuple(backbones)
        necks = dict(necks or {})
        stray = sorted(set(necks) - set(self.modalities))
        if stray:
            raise ConfigError(f'FusionClassifier.necks names modalities {stray} that have no '
                              f'backbone; backbones: {list(self.modalities)}')
        per_modality = getattr(preprocessor, 'preprocessors', {})
        missing = [key for key in self.modalities if key not in per_modality]
        if missing:
            raise ConfigError(f'FusionClassifier.data_preprocessor has no preprocessor for '
                              f'{missing}; give a MultiModalDataPreprocessor of '
                              f'{list(self.modalities)}')
        self.backbones = nn.ModuleDict({key: MODELS.build(cfg) for key, cfg in backbones.items()})
        self.necks = nn.ModuleDict({key: MODELS.build(cfg) for key, cfg in necks.items()})
        self.fusion = MODELS.build(fusion)
        self.head = MODELS.build(head)
        if len(getattr(self.fusion, 'in_channels', ())) != len(self.modalities):
            raise ConfigError(f'fusion.in_channels {getattr(self.fusion, "in_channels", None)} '
                              f'needs one width per modality {list(self.modalities)}')
        head_width = getattr(self.head, 'in_channels', None)
        if head_width is not None and head_width != self.fusion.out_channels:
            raise ConfigError(f'head.in_channels={head_width} but the {self.fusion.mode!r} '
                              f'fusion gives {self.fusion.out_channels} channels')

    def branch_feature(self, key: str, inputs: Tensor) -> Tensor:
        """Modality ``key``'s backbone and neck on its inputs: the (N, D) vector it fuses."""
        out = self.backbones[key](inputs)
        if key in self.necks:
            out = self.necks[key](out)
        if isinstance(out, (tuple, list)):
            out = out[-1]
        if out.dim() != 2:
            raise ValueError(f'modality {key!r} gives features of shape {tuple(out.shape)} to '
                             'the fusion; give it a pooling neck (FusionClassifier.necks)')
        return out

    def extract_feat(self, inputs: Mapping[str, Tensor]) -> tuple[Tensor]:
        """The fused feature of a batch, as a 1-tuple (the head's input, mmpretrain style).

        Args:
            inputs: ``{modality: preprocessed batch}`` holding every modality of ``backbones``
                (others are ignored).

        Returns:
            ``(fused,)`` with ``fused`` of shape (N, ``fusion.out_channels``).

        Raises:
            TypeError: ``inputs`` is not a dict.
            KeyError: A modality is missing (those present are listed).
        """
        if not isinstance(inputs, Mapping):
            raise TypeError(f'FusionClassifier expects inputs as a dict of modalities '
                            f'{list(self.modalities)}, got {type(inputs).__name__}')
        missing = [key for key in self.modalities if key not in inputs]
        if missing:
            raise KeyError(f'FusionClassifier lacks modalities {missing} in its inputs; present: '
                           f'{sorted(inputs)}')
        features = [self.branch_feature(key, inputs[key]) for key in self.modalities]
        return (self.fusion(features), )

    def forward(self, inputs: Mapping[str, Tensor], data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """mmpretrain's classifier modes.

        Args:
            inputs: ``{modality: preprocessed batch}``.
            data_samples: Data samples with ``gt_label`` (``'loss'``) or for predictions.
            mode: ``'tensor'`` (logits), ``'loss'`` (dict of losses) or ``'predict'``.

        Returns:
            Logits (N, K), the head's losses, or the data samples with predictions.
        """
        feats = self.extract_feat(inputs)
        if mode == 'tensor':
            return self.head(feats)
        if mode == 'loss':
            return self.head.loss(feats, data_samples)
        if mode == 'predict':
            return self.head.predict(feats, data_samples)
        raise RuntimeError(f'invalid mode {mode!r}; use "tensor", "loss" or "predict"')
