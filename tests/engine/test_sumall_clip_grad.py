"""sumall's gradient-norm clip at 5.0, as its configs build it with MMEngine: a gradient of
norm above 5 is scaled to norm 5 before the SGD step, one below is left as it is."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

REPO = Path(__file__).resolve().parents[2]
SUMALL = 'configs/unpaired/ucmkd-sumall_r18-audio_r18-visual_cremad.py'


@pytest.mark.parametrize('norm', [50.0, 2.0])
def test_sumall_clips_the_gradient_norm_at_5(norm):
    cfg = Config.fromfile(str(REPO / SUMALL)).optim_wrapper
    cfg.optimizer.momentum = 0.0  # one plain step: the update is lr times the used gradient
    model = nn.Linear(3, 4)
    wrapper = build_optim_wrapper(model, cfg)
    lr = cfg.optimizer.lr
    gradient = {name: torch.randn_like(p) for name, p in model.named_parameters()}
    scale = norm / torch.cat([g.flatten() for g in gradient.values()]).norm()
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    # A loss whose gradient is exactly the chosen one: sum(g * p).
    wrapper.update_params(sum((scale * gradient[name] * p).sum()
                              for name, p in model.named_parameters()))
    used = min(norm, 5.0) / norm  # what is left of the gradient after clipping
    for name, p in model.named_parameters():
        expected = before[name] - lr * used * scale * gradient[name]
        assert torch.allclose(p.detach(), expected, rtol=1e-5, atol=1e-7), name
