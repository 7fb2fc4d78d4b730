# Open question 2: four bands instead of two. The non-DC rfft bins are cut at 1/4, 1/2 and 3/4;
# the two lower bands are aligned strongly (MSE) and the two upper ones weakly (sign-log MSE),
# which refines the default two-band split at 0.5. Each band has its own shared and auxiliary
# heads; the loss keys are distill.loss_band{0..3}, align.loss_band{i}_{student,teacher},
# aux.loss_band{i}.
_base_ = ['../fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py']
model = dict(distill_losses=dict(loss_fd=dict(
    decoupler=dict(_delete_=True, type='MultiBandDecoupler', cutoffs=(0.25, 0.5, 0.75)),
    band_loss=dict(type='MultiBandAlignLoss', modes=('mse', 'mse', 'log_mse', 'log_mse'),
                   loss_weights=1.0))))
