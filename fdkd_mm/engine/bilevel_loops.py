"""MMEngine train loops whose iteration is the ``bilevel`` step instead of ``train_step``.

An iteration of MMEngine's loops is ``model.train_step(batch, optim_wrapper)`` between the
``before_train_iter`` / ``after_train_iter`` hooks. The bilevel step needs three forwards and
two temporary updates per batch, which neither an optimiser wrapper (it sees one loss) nor a
hook can give, so these loops keep MMEngine's loop (epochs, validation, resuming, hooks) and
replace only that call by :func:`~fdkd_mm.engine.bilevel_step.bilevel_train_step`::

    train_cfg = dict(type='fdkd_mm.BilevelEpochBasedTrainLoop', max_epochs=100,
                     val_interval=1, bilevel=dict(head='student.head'))
"""
from typing import Optional

from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from fdkd_mm.engine.bilevel_step import DEFAULTS, bilevel_train_step
from fdkd_mm.registry import LOOPS


def _bilevel_settings(bilevel: Optional[dict]) -> dict:
    settings = dict(DEFAULTS)
    unknown = sorted(set(bilevel or {}) - set(settings))
    if unknown:
        raise ValueError(f'train_cfg.bilevel has unknown entries {unknown}; known: '
                         f'{sorted(settings)}')
    settings.update(bilevel or {})
    return settings


def _run_bilevel_iter(loop, batch_idx: int, data_batch) -> None:
    """MMEngine's ``run_iter`` with the bilevel step in place of ``train_step``."""
    runner = loop.runner
    runner.call_hook('before_train_iter', batch_idx=batch_idx, data_batch=data_batch)
    outputs = bilevel_train_step(runner.model, data_batch, runner.optim_wrapper, **loop.bilevel)
    runner.call_hook('after_train_iter', batch_idx=batch_idx, data_batch=data_batch,
                     outputs=outputs)
    loop._iter += 1


@LOOPS.register_module()
class BilevelEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` with the bilevel step (module docstring).

    Args:
        bilevel: Keys and head of :func:`~fdkd_mm.engine.bilevel_step.bilevel_train_step`
            (``fa_key``, ``la_key``, ``ce_key``, ``head``); the rest as MMEngine's loop.
    """

    def __init__(self, *args, bilevel: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bilevel = _bilevel_settings(bilevel)

    def run_iter(self, idx, data_batch) -> None:
        _run_bilevel_iter(self, idx, data_batch)


@LOOPS.register_module()
class BilevelIterBasedTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` with the bilevel step (see :class:`BilevelEpochBasedTrainLoop`)."""

    def __init__(self, *args, bilevel: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bilevel = _bilevel_settings(bilevel)

    def run_iter(self, data_batch) -> None:
        _run_bilevel_iter(self, self._iter, data_batch)
