# MST-Distill stage 1 on ravdess: co-training of the visual student, the audio-visual fusion teacher
# `mm` and the audio teacher `cm`, all from scratch (configs/_base_/distill/mst.py).
# Next: stage 2 (./mst-mask_<this cell>.py), then stage 3 (./mst_<this cell>.py).
_base_ = ['../_base_/pairs/ravdess_fusion_to_visual.py', '../_base_/distill/mst.py']
model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student=_base_.model.student,
    student_input='visual',
    student_recorders=_base_.mst_student_tensors,
    teachers=dict(
        mm=dict(type='fdkd_mm.TrainableTeacher', network=_base_.model.teacher,
                inputs=['audio', 'visual'], recorders=_base_.mst_teacher_tensors),
        cm=dict(type='fdkd_mm.TrainableTeacher',
                network=dict(type=_base_.audio_classifier.type, _scope_='mmpretrain',
                             data_preprocessor=_base_.audio_classifier.data_preprocessor,
                             backbone=_base_.audio_classifier.backbone,
                             neck=_base_.audio_classifier.neck,
                             head=dict(type='LinearClsHead', in_channels=512,
                                       num_classes=_base_.num_classes,
                                       loss=dict(type='CrossEntropyLoss'), topk=(1, ))),
                inputs='audio', recorders=_base_.mst_teacher_tensors)),
    distill_losses=_base_.mst_cotrain_losses,
    loss_forward_mappings=_base_.mst_cotrain_mappings,
    data_preprocessor=None)
# Official stages: Adam, lr 1e-4, constant, every network in one optimiser.
optim_wrapper = _base_.mst_optim_wrapper
param_scheduler = []
