# Table 4 ablation on CREMA-D (visual student): FD-CMKD with only Freq + Align + Scale on.
_base_ = ['../fdkd/fdkd_r18-audio_r18-visual_cremad.py']
model = dict(distill_losses=dict(loss_fd=dict(
    ablation=dict(frequency=True, align=True, scale=True, log=False))))
