"""MGDFR's stage 2: the teacher-feature salience of a co-trained pair, over a dataset.

``tools/mgdfr_salience.py`` is the command; :func:`salience_model_cfg` turns a co-training
config's model into a distiller whose only "loss" is :class:`~fdkd_mm.models.losses.mgdfr.
MGDFRSalience` (so the distiller records the teacher's feature, its classifier and the student's
logits), and :func:`compute_salience` runs it over batches in eval mode.
"""
import copy
from collections.abc import Iterable, Mapping
from typing import Optional

import torch
from torch import Tensor, nn

from fdkd_mm.errors import CheckpointError

#: The loss name of the accumulator in the salience distiller.
SALIENCE_LOSS = 'loss_salience'


def salience_model_cfg(model_cfg: Mapping, repeats: int = 10, seed: int = 0) -> dict:
    """The co-training distiller's config with the salience accumulator as its only loss.

    Args:
        model_cfg: ``cfg.model`` of an ``mgdfr-cotrain`` cell (its teacher offers ``feat``,
            ``head_weight`` and ``head_bias``; its student ``logits``).
        repeats: Shuffles per channel and batch.
        seed: Seed of the shuffles.

    Returns:
        A model config.
    """
    cfg = copy.deepcopy(dict(model_cfg))
    cfg['distill_losses'] = {SALIENCE_LOSS: dict(type='MGDFRSalience', repeats=repeats,
                                                 seed=seed)}
    cfg['loss_forward_mappings'] = {SALIENCE_LOSS: dict(
        teacher_feat=dict(from_student=False, recorder='feat'),
        head_weight=dict(from_student=False, recorder='head_weight'),
        head_bias=dict(from_student=False, recorder='head_bias'),
        student_logits=dict(from_student=True, recorder='logits'))}
    return cfg


def load_networks(model: nn.Module, state_dict: Mapping, source: str) -> None:
    """Load the student's and teacher's weights of a co-training checkpoint.

    Args:
        model: The salience distiller.
        state_dict: The checkpoint's ``state_dict``.
        source: The checkpoint's path, for messages.

    Raises:
        CheckpointError: A network key is missing or the checkpoint holds keys the pair lacks.
    """
    state = {k[len('module.'):] if k.startswith('module.') else k: v
             for k, v in state_dict.items()}
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys
               if not k.startswith('losses.') and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in result.unexpected_keys if not k.startswith('losses.')]
    if missing or unexpected:
        raise CheckpointError(f'{source} does not fit the co-training pair: missing '
                              f'{missing[:5]}, unexpected {unexpected[:5]}; give the '
                              'mgdfr-cotrain config the checkpoint was trained with')


@torch.no_grad()
def compute_salience(model: nn.Module, batches: Iterable, max_batches: Optional[int] = None
                     ) -> Tensor:
    """Accumulate the salience over ``batches`` (the co-trained networks in eval mode).

    Args:
        model: A distiller built from :func:`salience_model_cfg`.
        batches: Batches as the dataloader yields them.
        max_batches: Stop after this many (None: all).

    Returns:
        The min-max normalised salience (C,), float32.
    """
    model.eval()
    for count, batch in enumerate(batches):
        if max_batches is not None and count >= max_batches:
            break
        data = model.data_preprocessor(batch, False)
        _, arguments = model.loss_inputs(data['inputs'], data['data_samples'])
        model.losses[SALIENCE_LOSS](**arguments[SALIENCE_LOSS])
    return model.losses[SALIENCE_LOSS].salience()
