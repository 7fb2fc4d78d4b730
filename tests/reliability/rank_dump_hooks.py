"""Test-only hooks: every rank dumps its weights and its predictions into the work dir."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from fdkd_mm.registry import HOOKS


@HOOKS.register_module()
class DumpRankParametersHook(Hook):
    """Write ``rank<r>_params.pth`` and ``rank<r>_buffers.pth`` (name -> tensor) after training."""

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        for kind, tensors in (('params', model.named_parameters()),
                              ('buffers', model.named_buffers())):
            dump = {name: t.detach().cpu().clone() for name, t in tensors}
            torch.save(dump, osp.join(runner.work_dir, f'rank{get_rank()}_{kind}.pth'))


@HOOKS.register_module()
class DumpPredictionsHook(Hook):
    """Write ``<val|test>_logits_rank<r>.pth``: image name -> segmentation logits, per rank."""

    def __init__(self) -> None:
        self.logits: dict = {}

    def _record(self, outputs) -> None:
        for sample in outputs or []:
            self.logits[osp.basename(sample.img_path)] = sample.seg_logits.data.detach().cpu()

    def _dump(self, runner, mode: str) -> None:
        torch.save(self.logits, osp.join(runner.work_dir, f'{mode}_logits_rank{get_rank()}.pth'))
        self.logits = {}

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._record(outputs)

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._record(outputs)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._dump(runner, 'val')

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._dump(runner, 'test')
