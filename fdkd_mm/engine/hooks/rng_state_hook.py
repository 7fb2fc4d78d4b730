"""Store the random generators in checkpoints, so a resumed run continues bit for bit."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import IterBasedTrainLoop

from fdkd_mm.registry import HOOKS


def capture_rng_state() -> dict:
    """The state of every global generator a training step may draw from."""
    state = dict(torch=torch.get_rng_state(), numpy=np.random.get_state(),
                 python=random.getstate())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the RNG states with each checkpoint and restore them when training resumes.

    MMEngine re-seeds at start-up but does not store generator states, so after ``--resume``
    dropout masks (torch generator) and, in epoch-based runs, data augmentation (numpy /
    python generators in the main process) differ from an uninterrupted run. Restoring must
    happen right before the first *new* batch is drawn:

    * ``EpochBasedTrainLoop`` resumes at an epoch boundary: everything is restored in
      ``before_train_epoch``, before the epoch's first batch is loaded.
    * ``IterBasedTrainLoop`` replays the already-trained batches through the dataloader to
      skip them, which draws exactly the augmentation randomness of the original run, so the
      numpy / python generators are already right; only torch (and CUDA) are restored, in the
      first ``before_train_iter``.

    Exact only with ``num_workers=0`` or with workers seeded by ``randomness.seed`` (MMEngine's
    ``worker_init_fn``), a fixed seed, and a deterministic backend (CPU;
    ``randomness.deterministic=True`` on CUDA). The states are those of the saving (main)
    process; with an equal seed on every rank they are the same on all ranks.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = capture_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Only a resumed run continues the random stream; loading weights (load_from) does not.
        if getattr(runner, '_resume', False) and 'rng_state' in checkpoint:
            self._pending = checkpoint['rng_state']

    def _restore(self, with_data_generators: bool) -> None:
        state, self._pending = self._pending, None
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
        if with_data_generators:
            np.random.set_state(state['numpy'])
            random.setstate(state['python'])

    def before_train_epoch(self, runner) -> None:
        if self._pending is not None and not isinstance(runner.train_loop, IterBasedTrainLoop):
            self._restore(with_data_generators=True)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self._pending is not None:
            self._restore(with_data_generators=False)
