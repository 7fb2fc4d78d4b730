"""Test-only hook: every rank saves its trainable parameters when training ends."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from fdkd_mm.registry import HOOKS


@HOOKS.register_module()
class DumpRankParametersHook(Hook):
    """Write ``rank<r>_params.pth`` (name -> parameter) into the work dir after training."""

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        params = {name: p.detach().cpu().clone() for name, p in model.named_parameters()}
        torch.save(params, osp.join(runner.work_dir, f'rank{get_rank()}_params.pth'))
