"""Size CRD's memory bank: from a checkpoint being loaded, else from the training set."""
import re
from collections.abc import Mapping

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from fdkd_mm.registry import HOOKS

#: The state-dict key (after the loss's own prefix) whose first dim is the bank's size.
BANK_KEY = 'memory.memory_student'


def _sized_losses(runner) -> dict:
    """Name → module of every module of the model with ``set_num_samples`` (CRDLoss)."""
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    return {name: module for name, module in model.named_modules()
            if callable(getattr(module, 'set_num_samples', None))}


@HOOKS.register_module()
class ContrastMemoryHook(Hook):
    """Give every loss with ``set_num_samples`` (CRD) the size of its memory bank.

    * ``after_load_checkpoint`` (``--resume``, ``load_from``, ``tools/test.py``; called before
      the weights are copied): the bank takes the checkpoint's size, so the strict loader finds
      every shape matching and the saved bank is continued exactly.
    * ``before_train``: a bank that is still unallocated gets one row per training sample; a
      bank already sized (config, checkpoint) is checked against the training set's length.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Size the banks as the checkpoint holds them."""
        state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, Mapping) \
            else {}
        sizes = {re.sub(r'^module\.', '', key): value.shape[0] for key, value in state.items()
                 if key.endswith(BANK_KEY) and hasattr(value, 'shape')}
        for name, module in _sized_losses(runner).items():
            size = sizes.get(f'{name}.{BANK_KEY}')
            if size is not None:
                module.set_num_samples(int(size))

    def before_train(self, runner) -> None:
        """Allocate (or check) the banks for the training set."""
        sized = _sized_losses(runner)
        if not sized:
            runner.logger.warning('ContrastMemoryHook: the model has no loss with a memory bank '
                                  '(CRDLoss); the hook does nothing')
        num_samples = len(runner.train_dataloader.dataset)
        for module in sized.values():
            module.set_num_samples(num_samples)
