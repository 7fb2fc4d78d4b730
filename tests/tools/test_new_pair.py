"""tools/new_pair.py: configs from a manifest that build, find their recorders and train.

Network combinations train two iterations each on real files: CNN <-> CNN (ResNet-18 on
16-bit depth -> MobileNetV2 on RGB), a Hugging Face text encoder -> CNN, Hugging Face vision
(ViT) <-> audio (AST) encoders either way, mmseg <-> mmseg (DeepLabV3+ on depth -> RGB),
timm <-> mmpretrain (either side) and audio (ResNet-18 with a 1-channel stem) -> image.
"""
import importlib.util
import os.path as osp
import runpy
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from fdkd_mm.errors import ConfigError
from fdkd_mm.pairing import write_pair
from fdkd_mm.testing.manifest_runs import tiny_cfg
from fdkd_mm.testing.synthetic_manifest import (DISTANCES_MM, VOCAB, write_cls_folders,
                                                write_seg_folders, write_tokenizer)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def cls_data(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('mine'))
    write_cls_folders(root, per_class=4, size=(24, 32), audio_seconds=0.5)
    return osp.join(root, 'manifest.csv')


@pytest.fixture(scope='module')
def bert_dir(tmp_path_factory) -> str:
    from transformers import BertConfig, BertModel
    directory = str(tmp_path_factory.mktemp('bert'))
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=1,
                         num_attention_heads=2, intermediate_size=16,
                         max_position_embeddings=64)).save_pretrained(directory)
    return write_tokenizer(directory)


def _save_tiny(directory: str, config, model_class) -> str:
    torch.manual_seed(0)
    model = model_class(config)
    embeddings = getattr(model, 'embeddings', None)
    with torch.no_grad():  # AST starts its summary tokens at zero: SGD blows them up at once
        for name in ('cls_token', 'distillation_token', 'position_embeddings'):
            if isinstance(getattr(embeddings, name, None), torch.nn.Parameter):
                getattr(embeddings, name).normal_(std=0.02)
    model.save_pretrained(directory)  # config.json + model.safetensors
    return directory


@pytest.fixture(scope='module')
def vit_dir(tmp_path_factory) -> str:
    from transformers import ViTConfig, ViTModel
    return _save_tiny(str(tmp_path_factory.mktemp('vit')), ViTConfig(
        image_size=32, patch_size=8, num_channels=3, hidden_size=16, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=16), ViTModel)


@pytest.fixture(scope='module')
def ast_dir(tmp_path_factory) -> str:
    from transformers import ASTConfig, ASTModel
    return _save_tiny(str(tmp_path_factory.mktemp('ast')), ASTConfig(
        hidden_size=24, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
        num_mel_bins=32, max_length=32), ASTModel)


def _train_two_iterations(config: str, work_dir: str) -> dict:
    cfg = tiny_cfg(config, work_dir)
    cfg.train_dataloader['batch_size'] = 3  # 6 training rows: two iterations
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.message_hub.get_scalar('train/loss').current(), runner


def test_cnn_to_cnn_depth_to_rgb(cls_data, tmp_path):
    files = write_pair(cls_data, 'depth', 'rgb', 'cls', teacher_model='resnet18',
                       student_model='mobilenet_v2', out_dir=str(tmp_path / 'cfg'),
                       size=(64, 64), epochs=1, batch_size=3)  # 32: MobileNetV2 ends at 1x1
    # Widths from the dry forward pass: ResNet-18's pooled last stage, MobileNetV2's 1280.
    assert files.widths == dict(teacher=512, student=1280)
    assert files.recorders['student'] == dict(logits=dict(path='head.fc'),
                                              feat=dict(path='head.fc', source='input'))
    cfg = Config.fromfile(files.methods['fdkd'])
    assert cfg.model.connectors.student_feat == dict(type='ProjectionConnector',
                                                     in_channels=1280, out_channels=512)
    assert cfg.model.distill_losses.loss_fd.in_channels == 512
    assert cfg.model.distill_losses.loss_fd.num_classes == 3
    # The depth statistics are the training rows' metres (per-class distances +- 5 cm).
    mean = cfg.model.teacher.data_preprocessor['mean'][0]
    assert min(DISTANCES_MM) / 1000 < mean < max(DISTANCES_MM) / 1000
    assert cfg.model.teacher.backbone.init_cfg.type == 'Pretrained'  # real weights kept
    assert cfg.model.teacher_ckpt == 'work_dirs/uni_depth_manifest/epoch_1.pth'
    assert cfg.train_dataloader.dataset.split == 'train'
    assert cfg.val_dataloader.dataset.split == 'val'
    loss, _ = _train_two_iterations(files.methods['fdkd'], str(tmp_path / 'run'))
    assert torch.isfinite(torch.tensor(loss))
    for method in ('kd', 'feat'):
        Config.fromfile(files.methods[method])  # inherits the pair
    uni = Config.fromfile(files.uni['depth'])
    assert uni.model.type == 'mmpretrain.ImageClassifier'
    assert uni.train_dataloader.dataset.pipeline[-1]['plain_inputs'] is True


def test_text_teacher_to_cnn(cls_data, bert_dir, tmp_path):
    files = write_pair(cls_data, 'text', 'rgb', 'cls', teacher_model=f'hf:{bert_dir}',
                       out_dir=str(tmp_path / 'cfg'), size=(32, 32), epochs=1, batch_size=3)
    assert files.widths == dict(teacher=16, student=512)  # the tiny BERT's hidden size
    cfg = Config.fromfile(files.methods['kd'])
    loader = cfg.train_dataloader.dataset.pipeline[0]
    assert loader == dict(type='fdkd_mm.LoadModality', name='text', kind='text',
                          tokenizer_path=bert_dir, max_length=64)
    loss, _ = _train_two_iterations(files.methods['kd'], str(tmp_path / 'run'))
    assert torch.isfinite(torch.tensor(loss))


@pytest.mark.parametrize('teacher, student', [('audio', 'rgb'), ('depth', 'audio')])
def test_hf_vision_and_audio_encoders(cls_data, vit_dir, ast_dir, tmp_path, teacher,
                                      student):
    """A tiny ViT (on RGB, or on 1-channel depth repeated to 3) and a tiny AST (on the log
    spectrograms) from save_pretrained directories, one on each side: the widths come from
    the dry forward pass, FD-CMKD trains, the frozen teacher keeps the directory's weights and
    the student's move."""
    from transformers import ASTModel, ViTModel
    dirs = dict(audio=ast_dir, rgb=vit_dir, depth=vit_dir)
    files = write_pair(cls_data, teacher, student, 'cls', teacher_model=f'hf:{dirs[teacher]}',
                       student_model=f'hf:{dirs[student]}', out_dir=str(tmp_path / 'cfg'),
                       size=(32, 32), epochs=1, batch_size=3,
                       options=dict(audio=dict(sample_rate=8000, duration=0.5)))
    hidden = dict(audio=24, rgb=16, depth=16)
    assert files.widths == dict(teacher=hidden[teacher], student=hidden[student])
    cfg = tiny_cfg(files.methods['fdkd'], str(tmp_path / 'run'))
    backbones = dict(audio='fdkd_mm.HFAudioEncoder', rgb='fdkd_mm.HFVisionEncoder',
                     depth='fdkd_mm.HFVisionEncoder')
    assert cfg.model.teacher.backbone == dict(type=backbones[teacher], pretrained=dirs[teacher])
    assert cfg.model.student.backbone.type == backbones[student]
    assert cfg.model.connectors.student_feat == dict(
        type='ProjectionConnector', in_channels=hidden[student], out_channels=hidden[teacher])
    cfg.train_dataloader['batch_size'] = 3  # 6 training rows: two iterations
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=1)
    runner = Runner.from_cfg(cfg)
    encoders = {role: getattr(runner.model, role).backbone.encoder
                for role in ('teacher', 'student')}
    classes = dict(audio=ASTModel, rgb=ViTModel, depth=ViTModel)
    assert isinstance(encoders['teacher'], classes[teacher])
    before = {k: v.clone() for k, v in encoders['student'].state_dict().items()}
    runner.train()
    assert runner.iter == 2
    assert torch.isfinite(torch.tensor(runner.message_hub.get_scalar('train/loss').current()))
    # The frozen teacher holds exactly the directory's weights after init and training.
    saved = classes[teacher].from_pretrained(dirs[teacher]).state_dict()
    state = encoders['teacher'].state_dict()
    assert state.keys() == saved.keys()
    assert all(torch.equal(state[k], v) for k, v in saved.items())
    after = encoders['student'].state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert 'embeddings.patch_embeddings.projection.weight' in changed
    assert len(changed) > len(before) // 2  # the transformer layers train too
    if student == 'rgb':  # the ViT student exports, and its ONNX graph matches PyTorch
        from fdkd_mm.apis.export import export_student
        from fdkd_mm.apis.onnx_export import export_onnx_for
        exported = export_student(str(tmp_path / 'run' / 'epoch_1.pth'),
                                  str(tmp_path / 'export' / 'student.pth'),
                                  config_path=files.methods['fdkd'])
        onnx = export_onnx_for(exported, cfg)
        assert onnx.max_abs_diff <= onnx.tolerance


@pytest.fixture(scope='module')
def wav2vec2_dir(tmp_path_factory) -> str:
    from transformers import Wav2Vec2Config, Wav2Vec2Model
    return _save_tiny(str(tmp_path_factory.mktemp('w2v')), Wav2Vec2Config(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
        conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3), num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2), Wav2Vec2Model)


@pytest.mark.parametrize('teacher, student, model, message', [
    ('audio', 'rgb', ('teacher', 'vit'),
     "--teacher-model \"hf:{}\": model_type 'vit' is a vision encoder, the column is 'audio'"),
    ('depth', 'rgb', ('student', 'ast'), "--student-model \"hf:{}\": model_type "
     "'audio-spectrogram-transformer' is an audio encoder, the column is 'image'"),
    ('text', 'rgb', ('teacher', 'vit'), "model_type 'vit' is a vision encoder, the column is "
     "'text'"),
    ('depth', 'rgb', ('student', 'bert'), "model_type 'bert' is a text encoder"),
    ('audio', 'rgb', ('teacher', 'w2v'), "model_type 'wav2vec2' reads raw waveforms"),
    ('depth', 'rgb', ('teacher', 'missing'), '--teacher-model "hf:{}": not a local directory'),
])
def test_hf_encoder_mismatch_names_flag_and_model_type(cls_data, vit_dir, ast_dir, bert_dir,
                                                       wav2vec2_dir, tmp_path, teacher,
                                                       student, model, message):
    role, which = model
    directory = dict(vit=vit_dir, ast=ast_dir, bert=bert_dir, w2v=wav2vec2_dir,
                     missing=str(tmp_path / 'nothing'))[which]
    with pytest.raises(ConfigError) as error:
        write_pair(cls_data, teacher, student, 'cls', out_dir=str(tmp_path / 'cfg'),
                   size=(32, 32), **{f'{role}_model': f'hf:{directory}'})
    assert message.format(directory) in str(error.value)


def test_segmentation_mmseg_to_mmseg(tmp_path):
    root = tmp_path / 'seg'
    write_seg_folders(str(root), count=9, size=(24, 32), splits=('train', 'train', 'val'))
    files = write_pair(str(root / 'manifest.csv'), 'depth', 'rgb', 'seg',
                       classes='classes.txt', out_dir=str(tmp_path / 'cfg'), epochs=1,
                       batch_size=3)
    # DeepLabV3+ (ResNet-18, d8): the decode head's last feature is its separable
    # bottleneck, 128 channels (the r18 zoo config's head width).
    assert files.recorders['teacher'] == dict(logits=dict(path='decode_head.conv_seg'),
                                              feat=dict(path='decode_head.sep_bottleneck'))
    assert files.widths == dict(teacher=128, student=128)
    cfg = Config.fromfile(files.methods['fdkd'])
    assert cfg.model.connectors.student_feat == dict(type='IdentityConnector')
    assert cfg.model.student.data_preprocessor['size'] == (24, 32)  # the first sample
    assert cfg.classes == 'classes.txt'
    loss, _ = _train_two_iterations(files.methods['fdkd'], str(tmp_path / 'run'))
    assert torch.isfinite(torch.tensor(loss))


def test_audio_teacher_one_channel_stem(cls_data, tmp_path):
    files = write_pair(cls_data, 'audio', 'rgb', 'cls', out_dir=str(tmp_path / 'cfg'),
                       size=(32, 32), epochs=1, batch_size=3,
                       options=dict(audio=dict(sample_rate=8000, duration=0.5)))
    cfg = Config.fromfile(files.methods['feat'])
    assert cfg.model.teacher.backbone.in_channels == 1
    loss, _ = _train_two_iterations(files.methods['feat'], str(tmp_path / 'run'))
    assert torch.isfinite(torch.tensor(loss))


@pytest.mark.parametrize('role', ['teacher', 'student'])
def test_timm_through_mmpretrain(cls_data, tmp_path, role):
    """timm's ResNet-18 (random weights, nothing downloaded) in mmpretrain's TIMMBackbone on
    one side, mmpretrain's ResNet-18 on the other: the configs build and FD-CMKD trains."""
    import timm
    files = write_pair(cls_data, 'depth', 'rgb', 'cls', out_dir=str(tmp_path / 'cfg'),
                       size=(32, 32), epochs=1, batch_size=3,
                       **{f'{role}_model': 'timm:resnet18'})
    assert files.widths == dict(teacher=512, student=512)  # both ResNet-18: 512-d pooled
    cfg = tiny_cfg(files.methods['fdkd'], str(tmp_path / 'run'))
    assert cfg.model[role].backbone.type == 'TIMMBackbone'
    assert cfg.model[role].backbone.pretrained is False
    other = 'student' if role == 'teacher' else 'teacher'
    assert cfg.model[other].backbone.type == 'ResNet'
    cfg.train_dataloader['batch_size'] = 3  # 6 training rows: two iterations
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=1)
    runner = Runner.from_cfg(cfg)
    timm_net = getattr(runner.model, role).backbone.timm_model
    if role == 'teacher':  # as after loading its checkpoint: init_weights() keeps the weights
        runner.model.teachers['teacher'].network._is_init = True
    assert isinstance(timm_net, timm.models.ResNet)
    before = {k: v.clone() for k, v in timm_net.state_dict().items() if v.is_floating_point()}
    runner.train()
    assert runner.iter == 2
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert torch.isfinite(torch.tensor(loss))
    after = {k: v for k, v in timm_net.state_dict().items() if v.is_floating_point()}
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    if role == 'student':  # trained: the conv weights moved
        assert 'conv1.weight' in changed and 'layer4.1.conv2.weight' in changed
    else:  # the frozen teacher, BN statistics included
        assert changed == []


def test_timm_missing_is_named(cls_data, tmp_path, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec',
                        lambda name, *a: None if name == 'timm' else real_find_spec(name, *a))
    with pytest.raises(ConfigError, match='timm is not installed'):
        write_pair(cls_data, 'depth', 'rgb', 'cls', teacher_model='timm:resnet18',
                   out_dir=str(tmp_path / 'cfg'), size=(32, 32))


@pytest.mark.parametrize('args, message', [
    (dict(student_model='deeplabv3plus_r18'), "is a seg network, the task is 'cls'"),
    (dict(student_model='resnet34x'), "unknown network 'resnet34x'"),
    (dict(teacher_model='mobilenet_v2', teacher='audio'), 'takes 3 input channels'),
    (dict(teacher='text'), 'hf:<local directory>'),
    (dict(teacher_model='mmseg::nothing/here.py'), 'mmseg model does not fit task'),
])
def test_refusals_name_the_network(cls_data, tmp_path, args, message):
    teacher = args.pop('teacher', 'depth')
    with pytest.raises(ConfigError, match=message.replace('(', r'\(').replace(')', r'\)')):
        write_pair(cls_data, teacher, 'rgb', 'cls', out_dir=str(tmp_path / 'cfg'),
                   size=(32, 32), **args)


def test_tool_prints_the_three_commands(cls_data, tmp_path, capsys, monkeypatch):
    out = str(tmp_path / 'cfg')
    monkeypatch.setattr(sys, 'argv', ['new_pair.py', cls_data, '--teacher-modality', 'depth',
                                      '--student-modality', 'rgb', '--task', 'cls',
                                      '--out-dir', out, '--size', '32', '32', '--epochs', '2'])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(osp.join(REPO, 'tools', 'new_pair.py'), run_name='__main__')
    assert done.value.code == 0
    printed = capsys.readouterr().out
    assert f'1. python tools/train.py {out}/uni_depth_manifest.py' in printed
    assert f'2. python tools/train.py {out}/fdkd_depth_to_rgb_manifest.py' in printed
    assert ('3. python tools/export_student.py work_dirs/fdkd_depth_to_rgb_manifest/epoch_2.pth'
            in printed)
    monkeypatch.setattr(sys, 'argv', ['new_pair.py', cls_data, '--teacher-modality', 'lidar',
                                      '--student-modality', 'rgb', '--task', 'cls',
                                      '--out-dir', out])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(osp.join(REPO, 'tools', 'new_pair.py'), run_name='__main__')
    assert done.value.code == 1
    assert "missing modality 'lidar' column 'lidar'" in capsys.readouterr().err
