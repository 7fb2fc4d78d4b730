"""A Hugging Face transformer text encoder usable as an mmpretrain backbone."""
import os.path as osp
from typing import Optional

import torch
from mmengine.model import BaseModule, initialize

from fdkd_mm.registry import MODELS

POOLINGS = ('cls', 'pooler', 'mean')


def build_hf_encoder(pretrained: Optional[str], config: Optional[dict]) -> torch.nn.Module:
    """Build a ``transformers`` encoder from a local checkpoint directory or a config dict.

    Args:
        pretrained: Directory written by ``save_pretrained`` (config + weights).
        config: Keyword arguments of ``transformers.AutoConfig.for_model``, including
            ``model_type`` (e.g. ``dict(model_type='bert', hidden_size=768, ...)``); gives a
            randomly initialised model. Ignored when ``pretrained`` is given.

    Returns:
        The encoder module (e.g. ``BertModel``).

    Raises:
        FileNotFoundError: ``pretrained`` is not a directory.
        ValueError: Neither source is given, or ``config`` lacks ``model_type``.
    """
    from transformers import AutoConfig, AutoModel  # heavy; only text models pay for it

    if pretrained is not None:
        if not osp.isdir(pretrained):
            raise FileNotFoundError(f'text encoder weights directory not found: {pretrained} '
                                    '(a local save_pretrained directory is required; hub '
                                    'names are not downloaded)')
        return AutoModel.from_pretrained(pretrained, local_files_only=True)
    if config is None:
        raise ValueError('HFTextEncoder needs `pretrained` (a local directory) or `config`')
    config = dict(config)
    if 'model_type' not in config:
        raise ValueError(f'config needs a model_type (e.g. "bert"), got keys {sorted(config)}')
    return AutoModel.from_config(AutoConfig.for_model(config.pop('model_type'), **config))


@MODELS.register_module()
class HFTextEncoder(BaseModule):
    """Encode packed tokens ``(N, 2, L) = [input_ids; attention_mask]`` into one vector each.

    Returns a 1-tuple ``(features,)`` with ``features`` of shape ``(N, hidden_size)``, the
    backbone convention of mmpretrain, so ``LinearClsHead`` works with no neck. This output is
    the text feature a distiller records at module path ``backbone``.

    Args:
        pretrained: Local directory of a ``transformers`` checkpoint (e.g. BERT-base saved with
            ``save_pretrained``). Its weights are the initialisation; :meth:`init_weights`
            leaves them alone.
        config: ``AutoConfig.for_model`` kwargs with ``model_type``, for a randomly initialised
            encoder (tests, from-scratch runs). Used only without ``pretrained``.
        pooling: ``'cls'`` — last hidden state of the first ([CLS]) token (default);
            ``'pooler'`` — the model's pooler output (dense + tanh over [CLS], BERT's NSP
            head input); ``'mean'`` — mean of the last hidden states over unmasked tokens.
        init_cfg: MMEngine init config; must not re-initialise a loaded checkpoint.
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 config: Optional[dict] = None,
                 pooling: str = 'cls',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if pooling not in POOLINGS:
            raise ValueError(f'pooling must be one of {POOLINGS}, got {pooling!r}')
        self.pooling = pooling
        self.pretrained = pretrained
        self.encoder = build_hf_encoder(pretrained, config)
        self.out_channels = self.encoder.config.hidden_size

    def init_weights(self) -> None:
        """Apply this module's own ``init_cfg`` only; never re-initialise the encoder itself.

        MMEngine's default would call the Hugging Face model's own ``init_weights``, which can
        re-draw weights that were loaded from ``pretrained``; a config-built encoder is already
        randomly initialised by ``transformers``.
        """
        if self.init_cfg:
            initialize(self, self.init_cfg)
        self._is_init = True

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor]:
        """Encode a batch.

        Args:
            inputs: LongTensor ``(N, 2, L)``: row 0 token ids, row 1 attention mask.

        Returns:
            ``(features,)`` with ``features`` of shape ``(N, hidden_size)``.
        """
        if inputs.dim() != 3 or inputs.size(1) != 2:
            raise ValueError('HFTextEncoder expects (N, 2, L) = [input_ids; attention_mask], '
                             f'got shape {tuple(inputs.shape)}')
        if inputs.is_floating_point():
            raise TypeError('token ids arrived as floats; use fdkd_mm.TextDataPreprocessor, '
                            'not a preprocessor that casts inputs to float')
        input_ids, attention_mask = inputs[:, 0], inputs[:, 1]
        outputs = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        if self.pooling == 'pooler':
            return (outputs.pooler_output, )
        hidden = outputs.last_hidden_state
        if self.pooling == 'cls':
            return (hidden[:, 0], )
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1), )
