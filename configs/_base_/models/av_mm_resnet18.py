# The multimodal ("MM") teacher of the audio-visual datasets: the two ResNet-18 encoders of
# ./av_resnet18.py side by side, each pooled to 512 as its Uni model pools it, fused by
# concatenation (1024 channels) and classified by one linear head (fdkd_mm.FusionClassifier).
# Definitions only: ./av_fusion_resnet18.py is the model alone (its "Uni" run), ../pairs/
# av_fusion_to_*.py put it in a distiller. Experiment configs set the head's num_classes.
# Fusion options (fdkd_mm.FeatureFusion): mode='concat' (default), 'sum' (1 x 512) or 'mlp'
# with hidden_channels (Linear + ReLU over the concatenation); the head's in_channels and
# fusion_channels follow the choice.
_base_ = ['./av_resnet18.py']
fusion_channels = 1024  # concat of 512 + 512
av_fusion_classifier = dict(
    type='fdkd_mm.FusionClassifier',
    # Each modality normalised as its Uni model does; labels through the audio one.
    data_preprocessor=dict(
        type='fdkd_mm.MultiModalDataPreprocessor',
        preprocessors=dict(audio=dict(type='mmpretrain.ClsDataPreprocessor', to_rgb=False),
                           visual=dict(type='fdkd_mm.VideoDataPreprocessor')),
        label_modality='audio'),
    backbones=dict(
        audio=dict(type='mmpretrain.ResNet', depth=18, in_channels=1),
        visual=dict(type='fdkd_mm.FrameFoldingBackbone',
                    backbone=dict(type='mmpretrain.ResNet', depth=18))),
    necks=dict(audio=dict(type='mmpretrain.GlobalAveragePooling'),
               visual=dict(type='mmpretrain.GlobalAveragePooling', dim=3)),
    fusion=dict(type='fdkd_mm.FeatureFusion', mode='concat', in_channels=[512, 512]),
    head=dict(type='mmpretrain.LinearClsHead', in_channels=fusion_channels,
              loss=dict(type='CrossEntropyLoss'), topk=(1, )))

# The tensors distillation methods read from the fusion teacher, by name.
#   logits   the fused classifier's output (N, K)
#   feat     the fused feature, the head's input (N, 1024): what KD-by-feature methods (Feat,
#            PKD, FD-CMKD) distil by default; the pair's `student_feat` connector projects the
#            student's 512 channels to it
#   stage2..4, feat_preact, preact_bn_*  maps and OFD's pre-activation of ONE branch: the
#            branch of the modality the student does not see (its complementary knowledge;
#            for a visual student the audio ResNet-18, and vice versa), as in
#            ./av_resnet18.py. AFD, C2KD and OFD read these.
fusion_tensors = dict(logits=dict(path='head.fc'), feat=dict(path='fusion'))
audio_branch_tensors = dict(
    feat_preact=dict(path='backbones.audio.layer4.1.relu', source='input', call_index=1,
                     pool='avg'),
    preact_bn_weight=dict(path='backbones.audio.layer4.1.bn2.weight', source='parameter'),
    preact_bn_bias=dict(path='backbones.audio.layer4.1.bn2.bias', source='parameter'),
    stage2=dict(path='backbones.audio.layer2'),
    stage3=dict(path='backbones.audio.layer3'),
    stage4=dict(path='backbones.audio.layer4'))
visual_branch_tensors = dict(
    feat_preact=dict(path='backbones.visual.backbone.layer4.1.relu', source='input',
                     call_index=1, pool='avg'),
    preact_bn_weight=dict(path='backbones.visual.backbone.layer4.1.bn2.weight',
                          source='parameter'),
    preact_bn_bias=dict(path='backbones.visual.backbone.layer4.1.bn2.bias', source='parameter'),
    stage2=dict(path='backbones.visual.backbone.layer2', pool='frames'),
    stage3=dict(path='backbones.visual.backbone.layer3', pool='frames'),
    stage4=dict(path='backbones.visual.backbone.layer4', pool='frames'))
# Widths: `feat` is the fusion's; the branch maps are a ResNet-18's.
fusion_teacher_channels = dict(feat=fusion_channels, preact=512, stages=[128, 256, 512],
                               proxy=256)
