# Open question: where the frequency is. The dense decode features are split over their 2-D
# spatial spectrum (rfft2 over H, W; radial masks at half the largest spatial frequency; the
# spatial mean in neither band) instead of along the channel axis. Losses, heads and keys are
# those of the default method.
_base_ = ['../fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py']
model = dict(distill_losses=dict(loss_fd=dict(
    decoupler=dict(_delete_=True, type='SpatialFrequencyDecoupler', cutoff=0.5))))
