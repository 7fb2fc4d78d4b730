# Runtime shared by every fdkd_mm config.
default_scope = 'fdkd_mm'
custom_imports = dict(imports=['fdkd_mm'], allow_failed_imports=False)

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # CPU / debugging: env_cfg.dist_cfg.backend=gloo
)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Written to <name>.tmp and renamed, last_checkpoint updated after: a kill never leaves a
    # truncated checkpoint under its final name (fdkd_mm/engine/hooks/atomic_checkpoint_hook.py).
    # 'auto' = mIoU / top-1; BN buffers are averaged over the ranks before every checkpoint.
    checkpoint=dict(type='fdkd_mm.AtomicCheckpointHook', by_epoch=True, interval=5,
                    max_keep_ckpts=3, save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Off until --show-dir (ours, mmseg's or mmpretrain's tools/test.py) turns it on; draws
    # with the toolbox hook of the dataset's visualizer (fdkd_mm/engine/hooks/).
    visualization=dict(type='fdkd_mm.TaskVisualizationHook'),
)
# Stop with an error naming the term, iteration and last sane checkpoint if a loss turns
# NaN/Inf or explodes, or weights would be checkpointed non-finite / exploded; keep the RNG
# states in checkpoints so --resume continues the same random stream; log the samples a
# dataset with skip_bad_samples=True replaced, per epoch; record what the model is (kind,
# modalities, networks) in every checkpoint's meta; average BN buffers over the ranks before
# validation (distributed runs without SyncBN).
custom_hooks = [
    dict(type='fdkd_mm.DivergenceGuardHook'),
    dict(type='fdkd_mm.RNGStateHook'),
    dict(type='fdkd_mm.BadSampleReportHook'),
    dict(type='fdkd_mm.CheckpointMetaHook'),
    dict(type='SyncBuffersHook'),
    # Checks model.teacher_cache (if any) against the training set; a no-op otherwise.
    dict(type='fdkd_mm.TeacherCacheHook'),
]
# The visualizer is the task's (mmseg / mmpretrain), set in configs/_base_/datasets/*.py.
log_processor = dict(by_epoch=True, window_size=10)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
