# Open question 1: a learnable cutoff. The band edge is a sigmoid over the rfft bins whose
# position (the cutoff ratio, initialised at 0.5) is trained with the distiller; the
# DecouplerTemperatureHook anneals its temperature from 2 bins to 0.01 bins (binary masks) over
# training and logs decoupler/cutoff and decoupler/temperature every logging interval.
_base_ = ['../fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py']
model = dict(distill_losses=dict(loss_fd=dict(
    decoupler=dict(_delete_=True, type='LearnableFrequencyDecoupler', cutoff=0.5,
                   temperature=2.0, final_temperature=0.01))))
# Added to the runtime's hooks (NaN guard, RNG state, ...), which stay as they are.
custom_hooks = _base_.custom_hooks + [dict(type='DecouplerTemperatureHook', schedule='exp')]
# Weight decay would pull the cutoff's logit toward 0 (cutoff 0.5) regardless of the losses.
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'decoupler': dict(decay_mult=0.0)}))
