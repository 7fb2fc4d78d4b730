"""DecouplerTemperatureHook: annealing schedule and cutoff logging."""
import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from torch import nn

from fdkd_mm.engine.hooks.decoupler_schedule_hook import (DecouplerTemperatureHook,
                                                          scheduled_temperature)
from fdkd_mm.models.decouplers import LearnableFrequencyDecoupler


def test_schedules_hit_both_ends_and_interpolate():
    assert scheduled_temperature(0.0, 2.0, 0.02) == pytest.approx(2.0)
    assert scheduled_temperature(1.0, 2.0, 0.02) == pytest.approx(0.02)
    assert scheduled_temperature(0.5, 2.0, 0.02) == pytest.approx(math.sqrt(2.0 * 0.02))
    assert scheduled_temperature(0.5, 2.0, 0.02, 'linear') == pytest.approx(1.01)
    assert scheduled_temperature(3.0, 2.0, 0.02) == pytest.approx(0.02)  # clamped


def make_runner(model: nn.Module, iteration: int, max_iters: int) -> SimpleNamespace:
    return SimpleNamespace(model=model, iter=iteration, max_iters=max_iters,
                           message_hub=MessageHub.get_instance('test_decoupler_schedule'))


def test_hook_anneals_to_binary_on_the_last_iteration_and_logs_the_cutoff():
    model = nn.Module()
    model.decoupler = LearnableFrequencyDecoupler(cutoff=0.25, temperature=2.0,
                                                  final_temperature=0.01)
    hook = DecouplerTemperatureHook()
    seen = []
    for iteration in range(5):
        runner = make_runner(model, iteration, 5)
        hook.before_train_iter(runner, iteration)
        seen.append(float(model.decoupler.temperature))
        hook.after_train_iter(runner, iteration)
    assert seen[0] == pytest.approx(2.0) and seen[-1] == pytest.approx(0.01)
    assert all(a > b for a, b in zip(seen, seen[1:]))
    scalars = runner.message_hub.log_scalars
    assert scalars['train/decoupler/cutoff'].current() == pytest.approx(0.25)
    assert scalars['train/decoupler/temperature'].current() == pytest.approx(0.01)
    masks = model.decoupler.masks(64).detach()
    assert torch.all((masks < 1e-6) | (masks > 1 - 1e-6))


def test_hook_names_several_decouplers_by_path():
    model = nn.Module()
    model.a = LearnableFrequencyDecoupler(cutoff=0.3)
    model.b = LearnableFrequencyDecoupler(cutoff=0.6)
    runner = make_runner(model, 0, 10)
    runner.message_hub = MessageHub.get_instance('test_decoupler_schedule_two')
    hook = DecouplerTemperatureHook(start=1.0, end=0.1)
    hook.before_train_iter(runner, 0)
    hook.after_train_iter(runner, 0)
    assert float(model.a.temperature) == pytest.approx(1.0)
    assert runner.message_hub.log_scalars['train/decoupler/b/cutoff'].current() == (
        pytest.approx(0.6))
