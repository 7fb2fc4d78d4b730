"""DivergenceGuardHook stops a real Runner before a corrupted or exploded checkpoint is written.

Each rule is checked against the protection removed: the same run without the guard (or with
the rule switched off) writes the checkpoint the guard refuses.
"""
import os

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from fdkd_mm.engine import DivergenceError, DivergenceGuardHook
from fdkd_mm.engine.hooks import AtomicCheckpointHook  # noqa: F401  (registers it)


class ToyData(Dataset):
    def __len__(self):
        return 16

    def __getitem__(self, index):
        return dict(inputs=torch.tensor([float(index)]))


class Scripted(BaseModel):
    """A linear model whose 'distill.loss_x' term follows ``script(call)`` (a float)."""

    def __init__(self, script):
        super().__init__()
        self.lin = torch.nn.Linear(1, 1)
        self.calls = 0
        self.script = script

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.calls += 1
        out = self.lin(torch.stack(inputs) if isinstance(inputs, list) else inputs)
        term = out.mean() * 0 + torch.tensor(float(self.script(self.calls)))
        return {'student.loss': out.pow(2).mean() * 0 + 1.0, 'distill.loss_x': term}


def make_runner(tmp_path, model, guard=None, max_iters=4, lr=0.01) -> Runner:
    return Runner(
        model=model, work_dir=str(tmp_path),
        train_dataloader=dict(dataset=ToyData(), sampler=dict(type='DefaultSampler'),
                              batch_size=4, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='AtomicCheckpointHook', interval=1,
                                           by_epoch=False)),
        custom_hooks=[guard] if guard else [], default_scope='fdkd_mm',
        # Without it the run's message hub is named by a timestamp in seconds alone, shared
        # by two runs started within one second.
        experiment_name=f'guard_{tmp_path.name}_{id(model)}')


def nan_from_third(call):
    return float('nan') if call >= 3 else 0.5


def test_nan_names_term_iteration_and_last_sane_checkpoint(tmp_path):
    runner = make_runner(tmp_path, Scripted(nan_from_third), dict(type='DivergenceGuardHook'))
    with pytest.raises(DivergenceError, match=r'iteration 3 .*distill.loss_x=nan') as error:
        runner.train()
    assert f'last sane checkpoint is {tmp_path / "iter_2.pth"}' in str(error.value)
    assert os.path.isfile(tmp_path / 'iter_2.pth')
    assert not os.path.exists(tmp_path / 'iter_3.pth')


def test_without_guard_training_continues_on_nan(tmp_path):
    # The counterfactual: what the guard protects against really happens without it.
    make_runner(tmp_path, Scripted(nan_from_third)).train()
    assert os.path.isfile(tmp_path / 'iter_3.pth') and os.path.isfile(tmp_path / 'iter_4.pth')


def explodes_at_third(call):
    return 4.2e10 if call >= 3 else 0.5 + 0.01 * call


def test_finite_explosion_is_stopped_before_its_checkpoint(tmp_path):
    """Total loss 4.2e10 against a median of ~1.5: over 10x, so iteration 3 is refused."""
    runner = make_runner(tmp_path, Scripted(explodes_at_third), dict(type='DivergenceGuardHook'))
    with pytest.raises(DivergenceError, match=r'loss exploded at iteration 3 .*loss=4\.2e\+10.*'
                                              r'largest rise is distill\.loss_x'):
        runner.train()
    assert sorted(p.name for p in tmp_path.glob('iter_*.pth')) == ['iter_1.pth', 'iter_2.pth']


def test_explosion_rule_off_writes_the_exploded_checkpoint(tmp_path):
    make_runner(tmp_path, Scripted(explodes_at_third),
                dict(type='DivergenceGuardHook', loss_ratio=None)).train()
    assert os.path.isfile(tmp_path / 'iter_3.pth')


def test_loss_just_under_the_limit_passes(tmp_path):
    """Rule 2 is 'more than k x the median': 9.9x the median of iterations 1-2 passes."""
    def below(call):
        return 1.5 * 9.9 - 1.0 if call == 3 else 0.5
    make_runner(tmp_path, Scripted(below), dict(type='DivergenceGuardHook'), max_iters=3).train()
    assert os.path.isfile(tmp_path / 'iter_3.pth')


class BlowUp(BaseModel):
    """A constant loss; the weight (not the bias) is scaled by ``factor`` after iteration ``at``."""

    def __init__(self, factor, at=2):
        super().__init__()
        self.lin = torch.nn.Linear(1, 1)
        self.factor, self.at, self.calls = factor, at, 0

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.calls += 1
        if self.calls == self.at + 1:  # before the forward of iteration at+1: after step `at`
            with torch.no_grad():
                self.lin.weight.mul_(self.factor)
        return dict(loss=(self.lin.weight * 0).nan_to_num().sum() + 1.0)


def test_exploded_weights_are_not_checkpointed(tmp_path):
    runner = make_runner(tmp_path, BlowUp(1e6), dict(type='DivergenceGuardHook'))
    with pytest.raises(DivergenceError, match=r'parameters exploded at iteration 3.*'
                                              r'limit 10x.*last sane checkpoint is .*iter_2\.pth'):
        runner.train()
    assert not os.path.exists(tmp_path / 'iter_3.pth')
    assert not list(tmp_path.glob('*.tmp'))


def test_non_finite_weights_are_not_checkpointed(tmp_path):
    runner = make_runner(tmp_path, BlowUp(float('inf')), dict(type='DivergenceGuardHook'))
    with pytest.raises(DivergenceError, match=r'non-finite weights at iteration 3 \(epoch 1\): '
                                              r'1 tensors, e\.g\. lin\.weight'):
        runner.train()
    assert not os.path.exists(tmp_path / 'iter_3.pth')


def test_without_guard_exploded_weights_are_checkpointed(tmp_path):
    make_runner(tmp_path, BlowUp(1e6)).train()
    state = torch.load(tmp_path / 'iter_3.pth', weights_only=False)['state_dict']
    assert state['lin.weight'].abs().max() > 1e4


def test_no_checkpoint_yet_is_said(tmp_path):
    runner = make_runner(tmp_path, Scripted(lambda call: float('inf')),
                         dict(type='DivergenceGuardHook'))
    with pytest.raises(DivergenceError, match='No checkpoint has been written in .* yet'):
        runner.train()


@pytest.mark.parametrize('kwargs, match', [
    (dict(check_every=0), 'check_every'), (dict(loss_ratio=1), 'loss_ratio'),
    (dict(param_ratio='10'), 'param_ratio'), (dict(window=5, min_history=6), 'min_history')])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DivergenceGuardHook(**kwargs)
