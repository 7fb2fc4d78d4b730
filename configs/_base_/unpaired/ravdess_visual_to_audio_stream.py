# RAVDESS without pairs, the teacher's batches streamed (docs/unpaired.md): the setting of
# ./ravdess_visual_to_audio.py (an audio student on part B, audio only), but no teacher
# bank: a frozen visual teacher (trained on part A) draws a batch of part A's visual from
# teacher_dataloader at every training step, beside the student's batch, and runs on it
# (fdkd_mm.StreamedTeacher). Its sampler shuffles with its own seed (the run's + 1), the stream
# starts a new pass when part A runs out, and checkpoints keep its position, so --resume draws
# the batches an uninterrupted run would (fdkd_mm.TeacherStreamHook). The teacher sees its
# modality's training transforms, as in the authors' protocol; nothing pairs the two batches.
# Method configs (../distill/ucmkd.py) add their loss and the teacher mappings.
_base_ = ['./ravdess_visual_to_audio.py']
model = dict(
    # _delete_: the bank setting's teacher-free distiller has None there.
    teacher=dict(_base_.teacher_bank.teacher, _delete_=True),
    teacher_input=_base_.teacher_bank.teacher_input,
    teacher_recorders=dict(_base_.teacher_bank.recorders, _delete_=True),
    teacher_ckpt=_base_.teacher_bank.teacher_ckpt,
    teacher_stream=True)  # True: it streams teacher_dataloader (below)
teacher_bank = None
teacher_dataloader = dict(
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),  # seed: the run's + 1 unless set here
    drop_last=True,  # no short last batch (a single teacher sample aligns nothing)
    dataset=dict(dataset=dict(pipeline=_base_.visual_train_pipeline + [dict(
        type='fdkd_mm.PackAudioVisualInputs', keys=('visual', ), plain_inputs=True)])))
# The default runtime's hooks (the bank builder dropped) and the stream's.
custom_hooks = _base_.custom_hooks[:-1] + [dict(type='fdkd_mm.TeacherStreamHook')]
