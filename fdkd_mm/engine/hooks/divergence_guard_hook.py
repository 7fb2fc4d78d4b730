"""Stop a diverging run before a checkpoint can store its weights, naming the last sane one."""
import math
import os.path as osp
import statistics
from collections import deque
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from fdkd_mm.registry import HOOKS
from mmengine.runner import find_latest_checkpoint
from fdkd_mm.errors import FdkdError


class DivergenceError(FdkdError, FloatingPointError):
    """Training diverged; the message names the iteration, the term and the last sane checkpoint."""


def _as_float(value) -> float:
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


def last_sane_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``work_dir/last_checkpoint`` names, if that file exists.

    With this guard on, no checkpoint failing its checks is ever written, and
    ``AtomicCheckpointHook`` points ``last_checkpoint`` at a file only once it is complete, so
    the pointed-to file is the newest sane checkpoint, and the one ``--resume`` picks.
    """
    path = find_latest_checkpoint(work_dir)
    return path if path and osp.isfile(path) else None


@HOOKS.register_module()
class DivergenceGuardHook(Hook):
    """Raise :class:`DivergenceError` as soon as training diverges, before it is checkpointed.

    The rules, each naming the iteration (1-based) and the offending term or tensor:

    1. Every loss term returned by ``train_step`` is finite (every ``check_every`` iterations).
    2. The total loss (``loss``) is at most ``loss_ratio`` times the median of the total losses
       of the last ``window`` checked iterations, once ``min_history`` of them are recorded.
       The term that rose most against its own median is named. A loss that is finite but
       explodes (``lr=1e6``: 4e10 at iteration 2) is stopped here, before its weights reach a
       checkpoint.
    3. Before any checkpoint is written (regular, best or last): every floating-point tensor of
       its state dict (parameters and buffers, student and teacher) is finite, and the L2 norm
       of the trainable parameters is at most ``param_ratio`` times its value at the previous
       checkpoint (or at the start of training). Otherwise the checkpoint is not written.

    The hook runs before ``CheckpointHook`` (higher priority), so an iteration that breaks rule
    1 or 2 never reaches the checkpoint step. The error names the last checkpoint that passed
    (``last_checkpoint`` of the work dir), which ``--resume`` picks up. ``loss_ratio=None`` or
    ``param_ratio=None`` switch rules 2 and 3b off.

    Args:
        check_every: Check the losses every n iterations (one host sync each). Defaults to 1.
        loss_ratio: Rule 2's factor k. Defaults to 10.
        window: Rule 2's number of recent iterations. Defaults to 50.
        min_history: Iterations recorded before rule 2 applies. Defaults to 1.
        param_ratio: Rule 3's growth factor of the parameter norm. Defaults to 10.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, check_every: int = 1, loss_ratio: Optional[float] = 10.0,
                 window: int = 50, min_history: int = 1,
                 param_ratio: Optional[float] = 10.0) -> None:
        if not isinstance(check_every, int) or check_every < 1:
            raise ValueError(f'check_every must be an int >= 1, got {check_every!r}')
        for name, value in (('loss_ratio', loss_ratio), ('param_ratio', param_ratio)):
            if value is not None and not (isinstance(value, (int, float)) and value > 1):
                raise ValueError(f'{name} must be a number > 1 or None, got {value!r}')
        if not isinstance(window, int) or window < 1 or not isinstance(min_history, int) or \
                not 1 <= min_history <= window:
            raise ValueError(f'need 1 <= min_history <= window, got min_history={min_history!r}, '
                             f'window={window!r}')
        self.check_every = check_every
        self.loss_ratio, self.param_ratio = loss_ratio, param_ratio
        self.min_history = min_history
        self.history: dict[str, deque] = {}
        self.window = window
        self.reference_norm: Optional[float] = None

    # ------------------------------------------------------------------------------ helpers
    @staticmethod
    def _stop(runner, what: str) -> DivergenceError:
        sane = last_sane_checkpoint(runner.work_dir)
        where = (f'The last sane checkpoint is {sane}; `--resume` continues from it (it restores '
                 'the optimizer state, learning rate included).' if sane else
                 f'No checkpoint has been written in {runner.work_dir} yet: nothing to resume '
                 'from.')
        return DivergenceError(f'{what}. Training stopped; no checkpoint of this state was '
                               f'written. {where}')

    @staticmethod
    def _trainable_norm(runner) -> float:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        norms = [p.detach().float().norm() for p in model.parameters() if p.requires_grad]
        return float(torch.stack(norms).norm()) if norms else 0.0

    def _exploded(self, losses: dict) -> Optional[str]:
        total = losses.get('loss', math.fsum(losses.values()))
        past = self.history.get('loss')
        if self.loss_ratio is None or past is None or len(past) < self.min_history:
            return None
        median = statistics.median(past)
        if median <= 0 or total <= self.loss_ratio * median:
            return None
        rises = {name: value / statistics.median(self.history[name]) for name, value in
                 losses.items() if name != 'loss' and name in self.history
                 and statistics.median(self.history[name]) > 0}
        worst = max(rises, key=rises.get) if rises else None
        detail = (f'; the largest rise is {worst}={losses[worst]:.4g} '
                  f'({rises[worst]:.3g}x its median)' if worst else '')
        return (f'loss={total:.4g} is {total / median:.3g}x the median {median:.4g} of the last '
                f'{len(past)} iterations (limit {self.loss_ratio:g}x){detail}')

    # -------------------------------------------------------------------------------- hooks
    def before_train(self, runner) -> None:
        self.history.clear()
        self.reference_norm = self._trainable_norm(runner)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Rules 1 and 2 on the loss terms returned by ``train_step``."""
        if not outputs or not self.every_n_train_iters(runner, self.check_every):
            return
        losses = {name: _as_float(value) for name, value in outputs.items() if 'loss' in name}
        where = f'at iteration {runner.iter + 1} (epoch {runner.epoch + 1}, batch {batch_idx})'
        bad = {name: value for name, value in losses.items() if not math.isfinite(value)}
        if bad:
            terms = ', '.join(f'{name}={value}' for name, value in bad.items())
            raise self._stop(runner, f'non-finite loss {where}: {terms}')
        exploded = self._exploded(losses)
        if exploded:
            raise self._stop(runner, f'loss exploded {where}: {exploded}')
        for name, value in losses.items():
            self.history.setdefault(name, deque(maxlen=self.window)).append(value)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Rule 3, on the very tensors about to be written."""
        state = checkpoint.get('state_dict') or {}
        bad = [key for key, value in state.items()
               if isinstance(value, torch.Tensor) and value.is_floating_point()
               and not bool(torch.isfinite(value).all())]
        where = f'at iteration {runner.iter + 1} (epoch {runner.epoch + 1})'
        if bad:
            shown = ', '.join(bad[:3]) + (', ...' if len(bad) > 3 else '')
            raise self._stop(runner, f'non-finite weights {where}: {len(bad)} tensors, e.g. '
                             f'{shown}')
        norm = self._trainable_norm(runner)
        reference = self.reference_norm
        if self.param_ratio is not None and reference and norm > self.param_ratio * reference:
            raise self._stop(runner, f'parameters exploded {where}: the norm of the trainable '
                             f'parameters is {norm:.4g}, {norm / reference:.3g}x its value '
                             f'{reference:.4g} at the previous checkpoint (limit '
                             f'{self.param_ratio:g}x)')
        self.reference_norm = norm

