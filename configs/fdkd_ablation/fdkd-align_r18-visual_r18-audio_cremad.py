# Table 4 ablation on CREMA-D (audio student): FD-CMKD with only Align on.
_base_ = ['../fdkd/fdkd_r18-visual_r18-audio_cremad.py']
model = dict(distill_losses=dict(loss_fd=dict(
    ablation=dict(frequency=False, align=True, scale=False, log=False))))
