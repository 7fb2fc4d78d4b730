# FD-CMKD on CREMA-D (audio -> visual) distilling the true pre-activation of the last residual
# block (the input of its final ReLU, after the residual sum) instead of the post-ReLU block
# output that produced the paper's Table 2: the authors' script names this tensor `pre_out`,
# but its in-place ReLU overwrites it, so this variant is the script's evident intent.
_base_ = ['../fdkd/fdkd_r18-audio_r18-visual_cremad.py']
model = dict(
    student_recorders=dict(feat=_base_.model.student_recorders.feat_preact),
    teacher_recorders=dict(feat=_base_.model.teacher_recorders.feat_preact))
