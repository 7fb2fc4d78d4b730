"""The ``bilevel`` training step of "Cross-Modal Knowledge Distillation without Paired Data".

Per batch, the authors' code (their ``bilevel`` variant) does::

    copy = deepcopy(student); tmp = SGD(copy, lr=current lr)           # no momentum
    tmp step on FA(copy)                                               # the encoder moves
    tmp step on LA(copy's head on its detached features), p_T constant # the head moves
    g = ∇ CE(copy)                                                     # at the moved weights
    student.grad = g; main optimiser step (SGD, momentum 0.9)          # the real update
    student's buffers = copy's buffers                                 # BN statistics

:func:`bilevel_train_step` does the same without a second network: it remembers the student's
weights, moves them in place by the two temporary SGD steps, takes the CE gradient there, puts
the remembered weights back and lets the run's optimiser wrapper step with that gradient
(gradient clipping, if configured, applies). The buffers are not put back: after the three
forwards they are what the copy's would be, which is what the authors copy. The three losses
come from the distiller's own ``loss`` (one forward each, as the reference's three forwards):
``distill.loss_fa`` and ``distill.loss_la`` of :class:`~fdkd_mm.models.losses.UnpairedCMKDLoss`
and the student's ``student.loss``. The LA step moves only the parameters under ``head``:
the gradient a head gets from its logits does not depend on whether the features it reads are
detached, so restricting the step to the head is the authors' ``detach``.

A loop runs it in place of ``model.train_step``
(:mod:`fdkd_mm.engine.bilevel_loops`); single process only.
"""
from collections.abc import Mapping, Sequence

import torch
from mmengine.model import is_model_wrapper
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from torch import Tensor, nn

#: The loss keys and head of the authors' setting on our audio-visual classifiers.
DEFAULTS = dict(fa_key='distill.loss_fa', la_key='distill.loss_la', ce_key='student.loss',
                head='student.head')


def _pick(losses: Mapping, key: str, step: str) -> Tensor:
    if key not in losses:
        raise KeyError(f'bilevel {step} step: the model logs no loss {key!r}; its losses are '
                       f'{sorted(losses)} (set train_cfg.bilevel.{step.lower()}_key)')
    return losses[key]


def _sgd_step(loss: Tensor, params: Sequence[nn.Parameter], lr: float) -> None:
    """``p ← p − lr · ∂loss/∂p`` (the temporary plain SGD); parameters the loss does not reach
    stay, as torch's SGD skips parameters without a gradient."""
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    with torch.no_grad():
        for param, grad in zip(params, grads):
            if grad is not None:
                param.add_(grad, alpha=-lr)


def check_bilevel_setup(model: nn.Module, optim_wrapper: OptimWrapper) -> None:
    """Refuse what the step does not support, naming it: a wrapped (distributed) model, an AMP
    wrapper, gradient accumulation."""
    if is_model_wrapper(model):
        raise NotImplementedError(
            f'the bilevel step runs on one process; the model is wrapped in '
            f'{type(model).__name__} (a distributed run). Train bilevel without a launcher.')
    if isinstance(optim_wrapper, AmpOptimWrapper) or not isinstance(optim_wrapper, OptimWrapper):
        raise TypeError(f'the bilevel step needs a plain OptimWrapper, got '
                        f'{type(optim_wrapper).__name__}')
    if optim_wrapper._accumulative_counts != 1:
        raise ValueError('the bilevel step takes its own three gradients per batch; '
                         'optim_wrapper.accumulative_counts must be 1')


def bilevel_train_step(model: nn.Module, data: dict, optim_wrapper: OptimWrapper,
                       fa_key: str = DEFAULTS['fa_key'], la_key: str = DEFAULTS['la_key'],
                       ce_key: str = DEFAULTS['ce_key'],
                       head: str = DEFAULTS['head']) -> dict[str, Tensor]:
    """One bilevel step (module docstring) on a batch as the dataloader yields it.

    Args:
        model: The distiller (not wrapped).
        data: The batch.
        optim_wrapper: The run's optimiser wrapper; its first group's current lr is the
            temporary steps' lr, as in the authors' code.
        fa_key: Log key of the FA term.
        la_key: Log key of the LA term.
        ce_key: Log key of the student's cross-entropy.
        head: Parameter-name prefix of the student's classifier (the LA step's parameters).

    Returns:
        Log variables: the FA, LA and CE values each at its own step, and their sum ``loss``.
    """
    check_bilevel_setup(model, optim_wrapper)
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    params = [p for _, p in named]
    head_params = [p for name, p in named if name.startswith(head + '.')]
    if not head_params:
        prefixes = sorted({name.rsplit('.', 2)[0] for name, _ in named})
        raise ValueError(f'bilevel head {head!r} names no trainable parameter; parameter '
                         f'prefixes: {prefixes[:12]}')
    lr = optim_wrapper.optimizer.param_groups[0]['lr']
    remembered = [p.detach().clone() for p in params]
    data = model.data_preprocessor(data, True)

    def losses() -> dict:
        return model(**data, mode='loss')

    fa = _pick(losses(), fa_key, 'FA')
    _sgd_step(fa, params, lr)
    la = _pick(losses(), la_key, 'LA')
    _sgd_step(la, head_params, lr)
    ce = _pick(losses(), ce_key, 'CE')
    grads = torch.autograd.grad(ce, params, allow_unused=True)
    with torch.no_grad():
        for param, weights in zip(params, remembered):
            param.copy_(weights)
    optim_wrapper.zero_grad()
    for param, grad in zip(params, grads):
        param.grad = grad
    optim_wrapper.step()
    optim_wrapper.zero_grad()
    _, log_vars = model.parse_losses({fa_key: fa.detach(), la_key: la.detach(),
                                      ce_key: ce.detach()})
    return log_vars
