"""Stop training when a loss term turns NaN or Inf, before a checkpoint can store it."""
import math
from typing import Optional

import torch
from mmengine.hooks import Hook

from fdkd_mm.registry import HOOKS


@HOOKS.register_module()
class NonFiniteLossGuardHook(Hook):
    """Raise ``FloatingPointError`` naming the loss term and iteration once any loss is NaN/Inf.

    Training on garbage wastes the rest of the run and, worse, a later checkpoint would store
    corrupted weights. The hook runs with a higher priority than ``CheckpointHook``, so the
    error is raised before a checkpoint of that iteration is written.

    Args:
        check_every: Check every n iterations (the check reads the logged scalars, one host
            sync per check). Defaults to 1.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, check_every: int = 1) -> None:
        if check_every < 1:
            raise ValueError(f'check_every must be >= 1, got {check_every}')
        self.check_every = check_every

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Check the loss terms returned by ``train_step``."""
        if not outputs or not self.every_n_train_iters(runner, self.check_every):
            return
        values = {name: float(value.detach()) if isinstance(value, torch.Tensor) else value
                  for name, value in outputs.items() if 'loss' in name}
        bad = {name: value for name, value in values.items() if not math.isfinite(value)}
        if bad:
            terms = ', '.join(f'{name}={value}' for name, value in bad.items())
            raise FloatingPointError(
                f'non-finite loss at iteration {runner.iter + 1} (epoch {runner.epoch + 1}, '
                f'batch {batch_idx}): {terms}. Training stopped; the last checkpoint is intact.')
