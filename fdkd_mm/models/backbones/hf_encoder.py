"""Hugging Face vision and audio encoders from a local directory, as mmpretrain backbones.

The directory is one ``save_pretrained`` wrote. Its ``config.json`` is parsed by
``transformers.AutoConfig`` (never ``trust_remote_code``: no code from the directory runs) and
its weights are read from ``model.safetensors`` only (``use_safetensors=True``: no pickle).
Nothing is downloaded (``local_files_only=True``).

Which modality a directory's model reads comes from the input its ``AutoModel`` class takes
(``main_input_name``): ``pixel_values`` is vision, ``input_ids`` text, ``input_values`` /
``input_features`` audio. Audio arrives as the log spectrogram our audio loader writes,
``(1, F, T)`` per clip; spectrogram transformers (AST, ``audio-spectrogram-transformer``) take
it as ``input_values`` of shape ``(N, T, F)``. Waveform models (Wav2Vec2, HuBERT, WavLM, ...)
would need the raw samples, which the pipelines do not keep, so they are refused.
"""
import os
import os.path as osp
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule, initialize

from fdkd_mm.registry import MODELS

#: ``main_input_name`` of a transformers model class -> the modality it reads.
INPUT_MODALITIES = {'pixel_values': 'vision', 'input_ids': 'text', 'input_values': 'audio',
                    'input_features': 'audio'}
#: Audio model types that read a spectrogram ``input_values`` of shape (N, T, F).
SPECTROGRAM_MODEL_TYPES = ('audio-spectrogram-transformer', )


def _load_config(directory: str):
    from transformers import AutoConfig
    return AutoConfig.from_pretrained(directory, local_files_only=True, trust_remote_code=False)


def hf_modality(directory: str) -> tuple[str, str]:
    """The modality a local Hugging Face model reads, from its ``config.json`` alone.

    Args:
        directory: A ``save_pretrained`` directory.

    Returns:
        ``(modality, model_type)``: modality is ``'vision'``, ``'text'``, ``'audio'`` (a
        spectrogram model), ``'waveform'`` (an audio model on raw samples) or ``'unknown'``.

    Raises:
        ValueError: No readable ``config.json``, or a model type transformers does not know.
    """
    from transformers import MODEL_MAPPING
    try:
        config = _load_config(directory)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f'{directory}: no Hugging Face config.json transformers can read '
                         f'({error})') from error
    model_type = str(getattr(config, 'model_type', '') or 'unknown')
    try:
        model_class = MODEL_MAPPING[type(config)]
    except KeyError:
        return 'unknown', model_type
    modality = INPUT_MODALITIES.get(getattr(model_class, 'main_input_name', ''), 'unknown')
    if modality == 'audio' and model_type not in SPECTROGRAM_MODEL_TYPES:
        modality = 'waveform'
    return modality, model_type


def load_hf_model(pretrained: Optional[str], config: Optional[dict]) -> torch.nn.Module:
    """Build a ``transformers`` model from a local directory (safetensors) or a config dict.

    Args:
        pretrained: Directory written by ``save_pretrained`` (``config.json`` +
            ``model.safetensors``).
        config: ``AutoConfig.for_model`` keyword arguments with ``model_type``, for a randomly
            initialised model; used only without ``pretrained``.

    Returns:
        The model (``AutoModel``: the encoder without a task head, e.g. ``ViTModel``).

    Raises:
        FileNotFoundError: ``pretrained`` is not a directory, or holds no safetensors weights.
        ValueError: Neither source given, or ``config`` lacks ``model_type``.
    """
    from transformers import AutoConfig, AutoModel
    if pretrained is not None:
        if not osp.isdir(pretrained):
            raise FileNotFoundError(f'Hugging Face model directory not found: {pretrained} '
                                    '(a local save_pretrained directory is required; hub '
                                    'names are not downloaded)')
        if not any(name.endswith('.safetensors') for name in os.listdir(pretrained)):
            raise FileNotFoundError(f'{pretrained}: no *.safetensors weights (pickled '
                                    'pytorch_model.bin files are not read; load the model and '
                                    'save_pretrained it again to write model.safetensors)')
        return AutoModel.from_pretrained(pretrained, local_files_only=True,
                                         use_safetensors=True, trust_remote_code=False)
    if config is None:
        raise ValueError('a Hugging Face encoder needs `pretrained` (a local directory) or '
                         '`config`')
    config = dict(config)
    if 'model_type' not in config:
        raise ValueError(f'config needs a model_type (e.g. "vit"), got keys {sorted(config)}')
    return AutoModel.from_config(AutoConfig.for_model(config.pop('model_type'), **config))


def pooled_output(outputs) -> torch.Tensor:
    """One ``(N, C)`` vector per sample from a transformers model output.

    Args:
        outputs: The model's output (``pooler_output`` and / or ``last_hidden_state``).

    Returns:
        ``pooler_output`` flattened when the model has one, else the mean of
        ``last_hidden_state`` over its tokens (``(N, L, C)``) or its positions
        (``(N, C, H, W)``, convolutional models).
    """
    pooled = getattr(outputs, 'pooler_output', None)
    if pooled is not None:
        return pooled.flatten(1)
    hidden = outputs.last_hidden_state
    if hidden.dim() == 4:
        return hidden.mean(dim=(2, 3))
    return hidden.mean(dim=1)


class _HFPooledEncoder(BaseModule):
    """A transformers model run on one tensor, returning ``(pooled,)`` (mmpretrain's form)."""

    def __init__(self, pretrained: Optional[str] = None, config: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.pretrained = pretrained
        self.encoder = load_hf_model(pretrained, config)
        self.out_channels = getattr(self.encoder.config, 'hidden_size', None)

    def init_weights(self) -> None:
        """Apply this module's own ``init_cfg`` only; never re-draw the loaded weights."""
        if self.init_cfg:
            initialize(self, self.init_cfg)
        self._is_init = True


def _pair(value) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int) else tuple(int(v) for v in value)


@MODELS.register_module()
class HFVisionEncoder(_HFPooledEncoder):
    """A Hugging Face vision encoder (ViT, DeiT, ConvNeXt, ...) on ``(N, C, H, W)`` pixels.

    Takes the batch the data preprocessor gives (normalised floats). A one-channel modality
    (depth, grey) is repeated to the model's ``num_channels``; a batch of another size than the
    config's ``image_size`` (when it has one: the position embeddings of a ViT are fixed) is
    resized to it, bilinearly. Returns ``(features,)``, features ``(N, hidden)``: the model's
    ``pooler_output`` when it has one, else the mean of its last hidden state.

    Args:
        pretrained: A local ``save_pretrained`` directory (safetensors weights).
        config: ``AutoConfig.for_model`` kwargs with ``model_type`` (random weights); used
            only without ``pretrained``.
        init_cfg: MMEngine init config; must not re-initialise a loaded checkpoint.
    """

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor]:
        """Encode a batch.

        Args:
            inputs: ``(N, C, H, W)`` floats.

        Returns:
            ``(features,)`` with ``features`` of shape ``(N, hidden)``.
        """
        if inputs.dim() != 4:
            raise ValueError(f'HFVisionEncoder expects (N, C, H, W) pixels, got shape '
                             f'{tuple(inputs.shape)}')
        config = self.encoder.config
        channels = getattr(config, 'num_channels', inputs.size(1))
        if inputs.size(1) != channels:
            if inputs.size(1) != 1:
                raise ValueError(f'the {config.model_type} model takes {channels} channels, '
                                 f'the modality has {inputs.size(1)}')
            inputs = inputs.expand(-1, channels, -1, -1)
        size = getattr(config, 'image_size', None)
        if size is not None and tuple(inputs.shape[2:]) != _pair(size):
            inputs = F.interpolate(inputs, size=_pair(size), mode='bilinear',
                                   align_corners=False)
        return (pooled_output(self.encoder(pixel_values=inputs)), )


@MODELS.register_module()
class HFAudioEncoder(_HFPooledEncoder):
    """A Hugging Face spectrogram encoder (AST) on the ``(N, 1, F, T)`` log spectrograms.

    Our audio loader gives a one-channel log-magnitude spectrogram, frequency by time; AST
    reads ``input_values`` of shape ``(N, T, F)`` with ``T`` = its ``max_length`` and ``F`` =
    its ``num_mel_bins`` (fixed by its position embeddings), so the batch is transposed and
    resized to that grid, bilinearly. A checkpoint trained on 128 Kaldi mel bins sees linear
    STFT bins here: fine-tuning adapts it. Returns ``(features,)``, features ``(N, hidden)``:
    the ``pooler_output`` (AST: the mean of its two summary tokens) or the mean last state.

    Args:
        pretrained: A local ``save_pretrained`` directory (safetensors weights).
        config: ``AutoConfig.for_model`` kwargs with ``model_type`` (random weights); used
            only without ``pretrained``.
        init_cfg: MMEngine init config; must not re-initialise a loaded checkpoint.
    """

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor]:
        """Encode a batch.

        Args:
            inputs: ``(N, 1, F, T)`` spectrograms (or ``(N, F, T)``).

        Returns:
            ``(features,)`` with ``features`` of shape ``(N, hidden)``.
        """
        if inputs.dim() == 4 and inputs.size(1) == 1:
            inputs = inputs[:, 0]
        if inputs.dim() != 3:
            raise ValueError('HFAudioEncoder expects (N, 1, F, T) spectrograms, got shape '
                             f'{tuple(inputs.shape)}')
        config = self.encoder.config
        values = inputs.transpose(1, 2)  # (N, T, F)
        grid = (getattr(config, 'max_length', None), getattr(config, 'num_mel_bins', None))
        if None not in grid and tuple(values.shape[1:]) != grid:
            values = F.interpolate(values.unsqueeze(1), size=tuple(int(v) for v in grid),
                                   mode='bilinear', align_corners=False).squeeze(1)
        return (pooled_output(self.encoder(input_values=values)), )
