# Table 4 ablation on AVE (visual student): FD-CMKD with only Align on.
_base_ = ['../fdkd/fdkd_r18-audio_r18-visual_ave.py']
model = dict(distill_losses=dict(loss_fd=dict(
    ablation=dict(frequency=False, align=True, scale=False, log=False))))
