# FD-CMKD on VGGSound: audio teacher (frozen) -> visual student, ResNet-18s from scratch,
# the paper's schedule. Train the teacher first:
#   python tools/train.py configs/teachers/vggsound_audio_unimodal.py
_base_ = [
    '../_base_/models/av_fdkd_audio_to_visual.py', '../_base_/datasets/vggsound_av.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 50
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/vggsound_audio_unimodal/epoch_100.pth',  # its last epoch
    num_classes=num_classes,
    # FD-CMKD hyper-parameters (METHOD.md; the paper's defaults):
    # cutoff: the low band is the lower half of the rFFT bins without DC (Table 7 varies it).
    decoupler=dict(type='FrequencyDecoupler', cutoff=0.5),
    # λ1: strong low-band alignment, MSE(Std(S_low), Std(T_low)).
    low_loss=dict(type='FrequencyAlignLoss', mode='mse', loss_weight=1.0),
    # λ2: weak high-band alignment, MSE of sign-log of the standardised bands.
    high_loss=dict(type='FrequencyAlignLoss', mode='log_mse', loss_weight=1.0),
    # Φ_l / Φ_h classifying student and (detached) teacher bands alike: L_align.
    shared_head=dict(type='SharedHead', loss_weight=1.0),
    # The student's own band heads, part of L_task.
    aux_head=dict(type='SharedHead', loss_weight=1.0),
    # Table 4 switches: all on is FD-CMKD; all off is plain feature MSE ("Feat").
    ablation=dict(frequency=True, align=True, scale=True, log=True))

# VGGSound has no validation split (val = test): keep the last epoch and report it, rather than
# selecting a "best" checkpoint on the test set.
default_hooks = dict(checkpoint=dict(save_best=None))
