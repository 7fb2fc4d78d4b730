"""Test-only hook: the learning rate jumps to ``lr`` from epoch ``epoch`` on (a diverging run)."""
from mmengine.hooks import Hook

from fdkd_mm.registry import HOOKS


@HOOKS.register_module()
class LearningRateSpikeHook(Hook):
    """Set every parameter group's lr to ``lr`` before each iteration of epoch >= ``epoch``.

    Runs after ``ParamSchedulerHook`` has stepped, so the schedule does not undo it.
    """

    priority = 'LOW'

    def __init__(self, lr: float = 1e6, epoch: int = 2) -> None:
        self.lr, self.epoch = lr, epoch

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.epoch + 1 >= self.epoch:
            for group in runner.optim_wrapper.optimizer.param_groups:
                group['lr'] = self.lr
