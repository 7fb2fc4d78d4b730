"""Count the bad samples a dataset skipped and report them at the end of every epoch."""
import logging
from typing import Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook

from fdkd_mm.registry import HOOKS


def _replaced_in(data_batch: Optional[dict]) -> int:
    samples = (data_batch or {}).get('data_samples') or []
    return sum(len(s.metainfo.get('bad_samples_replaced', ())) for s in samples
               if hasattr(s, 'metainfo'))


@HOOKS.register_module()
class BadSampleReportHook(Hook):
    """Log how many bad samples were skipped (``skip_bad_samples=True`` datasets) per epoch.

    The count is read from the batches themselves (the dataset marks a replacement's data
    sample), so samples skipped inside dataloader workers are counted too; in distributed
    runs the counts of all ranks are summed. The epoch's count goes to the log and to the
    message hub as ``train/bad_samples`` (and the run's total as ``bad_samples_total``).
    """

    priority = 'LOW'

    def __init__(self) -> None:
        self.epoch_count = 0
        self.total = 0

    def before_train_epoch(self, runner) -> None:
        self.epoch_count = 0

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.epoch_count += _replaced_in(data_batch)

    def after_train_epoch(self, runner) -> None:
        count = self.epoch_count
        if get_world_size() > 1:
            tensor = torch.tensor(count, dtype=torch.long)
            all_reduce(tensor)
            count = int(tensor)
        self.total += count
        runner.message_hub.update_scalar('train/bad_samples', count)
        runner.message_hub.update_info('bad_samples_total', self.total)
        # A warning when data was skipped, so it stands out in the log.
        runner.logger.log(logging.WARNING if count else logging.INFO,
                          f'epoch {runner.epoch + 1}: {count} bad sample(s) skipped and replaced '
                          f'({self.total} in this run)')
