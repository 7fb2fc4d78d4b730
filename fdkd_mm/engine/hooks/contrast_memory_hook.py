"""Size CRD's memory bank from the training set before training starts."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from fdkd_mm.registry import HOOKS


@HOOKS.register_module()
class ContrastMemoryHook(Hook):
    """Give every loss with ``set_num_samples`` (CRD) the training dataset's length.

    Runs in ``before_train``, after MMEngine has loaded or resumed a checkpoint: a bank that
    came back with it is kept (and checked against the dataset's length); otherwise the bank is
    allocated with one row per training sample.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        """Allocate (or check) the banks."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        num_samples = len(runner.train_dataloader.dataset)
        sized = [name for name, module in model.named_modules()
                 if callable(getattr(module, 'set_num_samples', None))]
        for name in sized:
            model.get_submodule(name).set_num_samples(num_samples)
        if not sized:
            runner.logger.warning('ContrastMemoryHook: the model has no loss with a memory bank '
                                  '(CRDLoss); the hook does nothing')
