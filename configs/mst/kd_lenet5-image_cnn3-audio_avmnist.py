# KD on AV-MNIST under MST-Distill's protocol:
# LeNet-5 image teacher -> three-layer audio CNN student.
# Teacher: configs/mst/uni_lenet5-image_avmnist.py (trained first, frozen);
# method: configs/_base_/distill/kd.py.
_base_ = [
    '../_base_/models/avmnist_mst_cnns.py', '../_base_/datasets/avmnist_mst.py',
    '../_base_/schedules/mst_adam_100e.py', '../_base_/default_runtime.py',
    '../_base_/distill/kd.py'
]
model = dict(
    type='CrossModalDistiller',
    student=_base_.cnn3_classifier,
    teacher=_base_.lenet5_classifier,
    student_input='audio',
    teacher_input='image',
    student_recorders=_base_.single_tensors,
    teacher_recorders=_base_.single_tensors,
    teacher_trainable=False,
    teacher_ckpt='work_dirs/uni_lenet5-image_avmnist/epoch_100.pth',  # its last epoch
    data_preprocessor=None,
    distill_losses=_base_.kd_losses,
    loss_forward_mappings=_base_.kd_mappings)
