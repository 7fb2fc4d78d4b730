"""Anneal the temperature of learnable decouplers and log their cutoff during training."""
import math
from typing import Literal, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn

from fdkd_mm.registry import HOOKS


def scheduled_temperature(progress: float, start: float, end: float,
                          schedule: Literal['exp', 'linear'] = 'exp') -> float:
    """Temperature at ``progress`` in [0, 1] of the annealing, from ``start`` to ``end``.

    ``'exp'`` interpolates the logarithm (a constant factor per iteration), which spends as long
    going from 1 to 0.1 bins as from 0.1 to 0.01: the edge sharpens gradually instead of
    collapsing in the last few iterations as with ``'linear'``.

    Args:
        progress: Fraction of the schedule done; clamped to [0, 1].
        start: Temperature at progress 0.
        end: Temperature at progress 1.
        schedule: ``'exp'`` or ``'linear'``.

    Returns:
        The temperature.
    """
    progress = min(max(progress, 0.0), 1.0)
    if schedule == 'exp':
        return math.exp(math.log(start) + progress * (math.log(end) - math.log(start)))
    if schedule == 'linear':
        return start + progress * (end - start)
    raise ValueError(f"schedule must be 'exp' or 'linear', got {schedule!r}")


@HOOKS.register_module()
class DecouplerTemperatureHook(Hook):
    """Set the temperature of every module with ``set_temperature`` before each training iteration.

    The temperature goes from each decoupler's ``initial_temperature`` (or ``start``) at
    iteration ``begin_iter`` to its ``final_temperature`` (or ``end``) at iteration ``end_iter``
    (0-based; default: the last iteration of training, so training ends on binary masks) and
    stays there. After each iteration the current cutoff and
    temperature go into the message hub as ``train/decoupler/cutoff`` and
    ``train/decoupler/temperature`` (``decoupler/<module path>/...`` when there are several),
    so the LoggerHook prints them and writes them to the visual backends (``scalars.json``,
    TensorBoard, ...).

    Args:
        start: Starting temperature; ``None`` uses each decoupler's ``initial_temperature``.
        end: Final temperature; ``None`` uses each decoupler's ``final_temperature``.
        begin_iter: Iteration at which the annealing starts. Defaults to 0.
        end_iter: Iteration at which it reaches ``end``; ``None`` = ``runner.max_iters - 1``.
        schedule: ``'exp'`` (default) or ``'linear'``.
    """

    # Before LoggerHook (BELOW_NORMAL), so the logged cutoff is this iteration's.
    priority = 'NORMAL'

    def __init__(self, start: Optional[float] = None, end: Optional[float] = None,
                 begin_iter: int = 0, end_iter: Optional[int] = None,
                 schedule: Literal['exp', 'linear'] = 'exp') -> None:
        if schedule not in ('exp', 'linear'):
            raise ValueError(f"schedule must be 'exp' or 'linear', got {schedule!r}")
        if end_iter is not None and end_iter <= begin_iter:
            raise ValueError(f'end_iter ({end_iter}) must come after begin_iter ({begin_iter})')
        self.start, self.end = start, end
        self.begin_iter, self.end_iter = begin_iter, end_iter
        self.schedule = schedule

    @staticmethod
    def scheduled_modules(model: nn.Module) -> dict[str, nn.Module]:
        """Modules of ``model`` (unwrapped from DDP etc.) that take a temperature, by path."""
        if is_model_wrapper(model):
            model = model.module
        return {name: module for name, module in model.named_modules()
                if callable(getattr(module, 'set_temperature', None))}

    def _progress(self, iteration: int, max_iters: int) -> float:
        end_iter = self.end_iter if self.end_iter is not None else max_iters - 1
        return (iteration - self.begin_iter) / max(end_iter - self.begin_iter, 1)

    def temperature_of(self, module: nn.Module, iteration: int, max_iters: int) -> float:
        """The temperature ``module`` gets at ``iteration`` of ``max_iters``."""
        start = self.start if self.start is not None else module.initial_temperature
        end = self.end if self.end is not None else module.final_temperature
        return scheduled_temperature(self._progress(iteration, max_iters), start, end,
                                     self.schedule)

    def before_run(self, runner) -> None:
        """Warn once when the hook has nothing to schedule (a config mix-up)."""
        if not self.scheduled_modules(runner.model):
            runner.logger.warning('DecouplerTemperatureHook: the model has no module with '
                                  'set_temperature (e.g. LearnableFrequencyDecoupler); the hook '
                                  'does nothing')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Set this iteration's temperature."""
        for module in self.scheduled_modules(runner.model).values():
            module.set_temperature(self.temperature_of(module, runner.iter, runner.max_iters))

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Log the cutoff and temperature of every scheduled module."""
        modules = self.scheduled_modules(runner.model)
        for name, module in modules.items():
            prefix = 'train/decoupler' if len(modules) == 1 else f'train/decoupler/{name}'
            if hasattr(module, 'cutoff'):
                runner.message_hub.update_scalar(f'{prefix}/cutoff', float(module.cutoff))
            temperature = getattr(module, 'temperature', None)
            if temperature is not None:
                runner.message_hub.update_scalar(f'{prefix}/temperature', float(temperature))
