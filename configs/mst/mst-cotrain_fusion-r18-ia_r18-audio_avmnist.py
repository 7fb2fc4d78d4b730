# MST-Distill stage 1 on AV-MNIST: co-training of the audio student, the image-audio fusion
# teacher `mm` and the image teacher `cm`, all from scratch (configs/_base_/distill/mst.py).
# Next: stage 2 (./mst-mask_<this cell>.py), then stage 3 (./mst_<this cell>.py).
_base_ = ['../_base_/pairs/avmnist_fusion_to_audio.py', '../_base_/distill/mst.py']
model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student=_base_.model.student,
    student_input='audio',
    student_recorders=_base_.mst_student_tensors,
    teachers=dict(
        mm=dict(type='fdkd_mm.TrainableTeacher', network=_base_.model.teacher,
                inputs=['image', 'audio'], recorders=_base_.mst_teacher_tensors),
        # Both AV-MNIST modalities use the same 1-channel ResNet-18 (the student's network).
        cm=dict(type='fdkd_mm.TrainableTeacher', network=_base_.model.student,
                inputs='image', recorders=_base_.mst_teacher_tensors)),
    distill_losses=_base_.mst_cotrain_losses,
    loss_forward_mappings=_base_.mst_cotrain_mappings,
    data_preprocessor=None)
# Official stages: Adam, lr 1e-4, constant, every network in one optimiser.
optim_wrapper = _base_.mst_optim_wrapper
param_scheduler = []
