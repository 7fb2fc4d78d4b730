# The multimodal ("MM") teacher of AV-MNIST: the 1-channel ResNet-18 of both AV-MNIST Uni
# models (../models/av_resnet18.py's audio network) on the image and on the spectrogram, each
# pooled to 512, fused by concatenation (1024), one linear head (fdkd_mm.FusionClassifier).
# Definitions only, as ./av_mm_resnet18.py for the audio-visual datasets (same tensor names).
_base_ = ['./av_resnet18.py']
fusion_channels = 1024
_resnet = dict(type='mmpretrain.ResNet', depth=18, in_channels=1)
_pool = dict(type='mmpretrain.GlobalAveragePooling')
avmnist_fusion_classifier = dict(
    type='fdkd_mm.FusionClassifier',
    data_preprocessor=dict(
        type='fdkd_mm.MultiModalDataPreprocessor',
        preprocessors=dict(image=dict(type='mmpretrain.ClsDataPreprocessor', to_rgb=False),
                           audio=dict(type='mmpretrain.ClsDataPreprocessor', to_rgb=False)),
        label_modality='image'),
    backbones=dict(image=_resnet, audio=_resnet),
    necks=dict(image=_pool, audio=_pool),
    fusion=dict(type='fdkd_mm.FeatureFusion', mode='concat', in_channels=[512, 512]),
    head=dict(type='mmpretrain.LinearClsHead', in_channels=fusion_channels, num_classes=10,
              loss=dict(type='CrossEntropyLoss'), topk=(1, )))
# logits / feat (fused) as the AV fusion teacher; the maps of the branch the student lacks.
fusion_tensors = dict(logits=dict(path='head.fc'), feat=dict(path='fusion'))


def _branch(key):
    return dict(
        feat_preact=dict(path=f'backbones.{key}.layer4.1.relu', source='input', call_index=1,
                         pool='avg'),
        preact_bn_weight=dict(path=f'backbones.{key}.layer4.1.bn2.weight', source='parameter'),
        preact_bn_bias=dict(path=f'backbones.{key}.layer4.1.bn2.bias', source='parameter'),
        stage2=dict(path=f'backbones.{key}.layer2'),
        stage3=dict(path=f'backbones.{key}.layer3'),
        stage4=dict(path=f'backbones.{key}.layer4'))


image_branch_tensors = _branch('image')
audio_branch_tensors = _branch('audio')
fusion_teacher_channels = dict(feat=fusion_channels, preact=512, stages=[128, 256, 512],
                               proxy=256)
