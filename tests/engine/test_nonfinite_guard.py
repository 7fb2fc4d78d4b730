"""NonFiniteLossGuardHook stops a real Runner before a corrupted checkpoint is written."""
import os

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from fdkd_mm.engine import NonFiniteLossGuardHook


class ToyData(Dataset):
    def __len__(self):
        return 16

    def __getitem__(self, index):
        return dict(inputs=torch.tensor([float(index)]))


class NaNAtThirdIter(BaseModel):
    """A linear model whose 'distill.loss_x' term turns NaN from the third iteration on."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(1, 1)
        self.calls = 0

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.calls += 1
        out = self.lin(torch.stack(inputs) if isinstance(inputs, list) else inputs)
        bad = torch.tensor(float('nan')) if self.calls >= 3 else torch.tensor(0.0)
        return {'student.loss': out.pow(2).mean(), 'distill.loss_x': out.mean() * 0 + bad}


def make_runner(tmp_path, with_guard: bool) -> Runner:
    hooks = [dict(type='NonFiniteLossGuardHook')] if with_guard else []
    return Runner(
        model=NaNAtThirdIter(), work_dir=str(tmp_path),
        train_dataloader=dict(dataset=ToyData(), sampler=dict(type='DefaultSampler'),
                              batch_size=4, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=4),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False)),
        custom_hooks=hooks, default_scope='fdkd_mm',
        # Without it the run's message hub is named by a timestamp in seconds alone, shared
        # by two runs started within one second.
        experiment_name=f'nonfinite_{tmp_path.name}')


def test_guard_names_term_and_iteration_and_no_bad_checkpoint_is_written(tmp_path):
    runner = make_runner(tmp_path, with_guard=True)
    with pytest.raises(FloatingPointError, match=r'iteration 3 .*distill.loss_x=nan'):
        runner.train()
    assert os.path.isfile(tmp_path / 'iter_2.pth')
    assert not os.path.exists(tmp_path / 'iter_3.pth')


def test_without_guard_training_continues_on_nan(tmp_path):
    # The counterfactual: what the guard protects against really happens without it.
    make_runner(tmp_path, with_guard=False).train()
    assert os.path.isfile(tmp_path / 'iter_3.pth') and os.path.isfile(tmp_path / 'iter_4.pth')


def test_invalid_interval():
    with pytest.raises(ValueError, match='check_every'):
        NonFiniteLossGuardHook(check_every=0)
