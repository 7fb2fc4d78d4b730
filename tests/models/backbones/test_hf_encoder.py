"""HFVisionEncoder / HFAudioEncoder: tiny Hugging Face models as mmpretrain backbones."""
import os.path as osp

import pytest
import torch

from fdkd_mm.models.backbones.hf_encoder import (HFAudioEncoder, HFVisionEncoder, hf_modality,
                                                 load_hf_model)
from fdkd_mm.registry import MODELS

TINY = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16)
TINY_VIT = dict(model_type='vit', image_size=32, patch_size=8, **TINY)
TINY_AST = dict(model_type='audio-spectrogram-transformer', num_mel_bins=32, max_length=32,
                **TINY)


@pytest.mark.parametrize('config_class, kwargs, expected', [
    ('ViTConfig', dict(TINY), ('vision', 'vit')),
    ('ASTConfig', dict(TINY), ('audio', 'audio-spectrogram-transformer')),
    ('BertConfig', dict(TINY), ('text', 'bert')),
    ('Wav2Vec2Config', dict(TINY), ('waveform', 'wav2vec2')),
    ('ResNetConfig', dict(), ('vision', 'resnet')),
])
def test_modality_from_config_json_alone(tmp_path, config_class, kwargs, expected):
    import transformers
    getattr(transformers, config_class)(**kwargs).save_pretrained(str(tmp_path))  # no weights
    assert hf_modality(str(tmp_path)) == expected


def test_modality_needs_a_config(tmp_path):
    with pytest.raises(ValueError, match='no Hugging Face config.json'):
        hf_modality(str(tmp_path))


def test_vision_repeats_one_channel_and_resizes_to_the_config():
    encoder = MODELS.build(dict(type='fdkd_mm.HFVisionEncoder', config=TINY_VIT)).eval()
    grey = torch.rand(2, 1, 24, 40)
    (feat, ) = encoder(grey)
    assert feat.shape == (2, 16)
    resized = torch.nn.functional.interpolate(grey.expand(-1, 3, -1, -1), size=(32, 32),
                                              mode='bilinear', align_corners=False)
    expected = encoder.encoder(pixel_values=resized).pooler_output
    torch.testing.assert_close(feat, expected)
    with pytest.raises(ValueError, match='takes 3 channels, the modality has 2'):
        encoder(torch.rand(2, 2, 32, 32))


def test_vision_convolutional_model_pools_to_vectors():
    encoder = HFVisionEncoder(config=dict(model_type='resnet', embedding_size=8,
                                          hidden_sizes=[8, 12], depths=[1, 1])).eval()
    (feat, ) = encoder(torch.rand(2, 3, 32, 32))  # pooler_output (N, C, 1, 1) flattened
    assert feat.shape == (2, 12)


def test_audio_takes_the_log_spectrogram_time_major():
    encoder = HFAudioEncoder(config=TINY_AST).eval()
    spec = torch.randn(2, 1, 257, 16)  # (N, 1, F, T) from the audio loader
    (feat, ) = encoder(spec)
    assert feat.shape == (2, 16)
    values = torch.nn.functional.interpolate(spec[:, 0].transpose(1, 2).unsqueeze(1),
                                             size=(32, 32), mode='bilinear',
                                             align_corners=False).squeeze(1)
    torch.testing.assert_close(feat, encoder.encoder(input_values=values).pooler_output)
    with pytest.raises(ValueError, match='expects \\(N, 1, F, T\\)'):
        encoder(torch.randn(2, 3, 8, 8))


def test_directory_weights_kept_by_init_weights(tmp_path):
    from transformers import ViTModel
    source = load_hf_model(None, TINY_VIT)
    source.save_pretrained(str(tmp_path))
    encoder = MODELS.build(dict(type='fdkd_mm.HFVisionEncoder', pretrained=str(tmp_path)))
    encoder.init_weights()
    assert isinstance(encoder.encoder, ViTModel)
    expected = source.state_dict()
    assert all(torch.equal(v, expected[k]) for k, v in encoder.encoder.state_dict().items())


def test_refuses_missing_directory_and_pickled_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match='not downloaded'):
        HFVisionEncoder(pretrained=str(tmp_path / 'google/vit-base'))
    model = load_hf_model(None, TINY_VIT)
    model.config.save_pretrained(str(tmp_path))
    torch.save(model.state_dict(), osp.join(str(tmp_path), 'pytorch_model.bin'))
    with pytest.raises(FileNotFoundError, match='no \\*.safetensors weights'):
        HFVisionEncoder(pretrained=str(tmp_path))
    with pytest.raises(ValueError, match='model_type'):
        HFAudioEncoder(config=dict(hidden_size=8))
