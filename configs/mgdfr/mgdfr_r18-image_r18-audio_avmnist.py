# MGDFR step 3, KD from the co-trained teacher, on AV-MNIST: image teacher -> audio student.
# Pair: configs/_base_/pairs/avmnist_image_to_audio.py; method: configs/_base_/distill/mgdfr.py
# Needs its co-training cell trained, the teacher exported and the salience computed
# (steps 1-2: configs/_base_/distill/mgdfr.py).
_base_ = ['../_base_/pairs/avmnist_image_to_audio.py', '../_base_/distill/mgdfr.py']
_cotrain = 'work_dirs/mgdfr-cotrain_r18-image_r18-audio_avmnist'
model = dict(
    teacher_ckpt=_cotrain + '/teacher.pth',
    distill_losses=dict(loss_mgdfr=dict(_base_.mgdfr_losses.loss_mgdfr,
                                        salience_file=_cotrain + '/salience.pth')),
    loss_forward_mappings=_base_.mgdfr_mappings)
