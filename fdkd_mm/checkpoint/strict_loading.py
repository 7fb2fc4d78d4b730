"""Load a checkpoint into a model only if it fits, with a short report when it does not.

MMEngine's ``Runner.load_checkpoint`` loads non-strictly: a checkpoint of another model loads
"successfully", the network keeps its random weights and the evaluation reports chance level;
the only hint is a warning with every key name. :func:`load_checkpoint_strict` refuses such a
checkpoint with counts, the first few keys of each kind and what the checkpoint is; the full
lists go to the log file.
"""
import logging
import os
import re
from typing import Mapping, NamedTuple, Optional, Sequence, Union

from mmengine.logging import MMLogger
from torch import nn

from .metadata import check_teacher_checkpoint, describe_checkpoint, format_description
from .safe_loading import load_checkpoint_file
from fdkd_mm.errors import CheckpointError

#: Keys shown per kind in the error message.
SHOWN_KEYS = 3


class KeyMismatch(NamedTuple):
    """How a state dict differs from a model's."""

    missing: list  # in the model, not in the checkpoint
    unexpected: list  # in the checkpoint, not in the model
    mis_shaped: list  # (key, checkpoint shape, model shape)

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.mis_shaped)


class CheckpointMismatchError(CheckpointError):
    """The checkpoint does not fit the model; ``mismatch`` holds the full key lists."""

    def __init__(self, message: str, mismatch: KeyMismatch, description: dict) -> None:
        super().__init__(message)
        self.mismatch = mismatch
        self.description = description


def compare_state_dicts(model_state: Mapping, checkpoint_state: Mapping) -> KeyMismatch:
    """Missing, unexpected and mis-shaped keys of ``checkpoint_state`` w.r.t. ``model_state``.

    A missing BN ``num_batches_tracked`` is not counted (older checkpoints lack it and it
    does not affect the outputs), as in MMEngine's own loader.
    """
    missing = [key for key in model_state if key not in checkpoint_state
               and not key.endswith('num_batches_tracked')]
    unexpected = [key for key in checkpoint_state if key not in model_state]
    mis_shaped = [(key, tuple(value.shape), tuple(model_state[key].shape))
                  for key, value in checkpoint_state.items()
                  if key in model_state and hasattr(value, 'shape')
                  and tuple(value.shape) != tuple(model_state[key].shape)]
    return KeyMismatch(missing, unexpected, mis_shaped)


def _file_handlers(logger: Optional[logging.Logger]) -> list:
    return [h for h in getattr(logger, 'handlers', []) if isinstance(h, logging.FileHandler)]


def _log_to_file_only(logger: Optional[logging.Logger], text: str) -> Optional[str]:
    """Write ``text`` to the logger's log files (not the console); the first file's path."""
    handlers = _file_handlers(logger)
    if not handlers:
        return None
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 0, text, None, None)
    for handler in handlers:
        handler.handle(record)
    return handlers[0].baseFilename


def _full_lists(mismatch: KeyMismatch) -> str:
    lines = [f'missing keys ({len(mismatch.missing)}):', *mismatch.missing,
             f'unexpected keys ({len(mismatch.unexpected)}):', *mismatch.unexpected,
             f'mis-shaped keys ({len(mismatch.mis_shaped)}), checkpoint shape vs model shape:',
             *(f'{key}: {ckpt} vs {model}' for key, ckpt, model in mismatch.mis_shaped)]
    return '\n  '.join(lines)


def _summary_line(label: str, items: list, explain: str) -> str:
    if not items:
        return f'  0 {label}'
    shown = ', '.join(items[:SHOWN_KEYS]) + (', ...' if len(items) > SHOWN_KEYS else '')
    return f'  {len(items)} {label} ({explain}), e.g. {shown}'


def _hint(checkpoint_kind: str, model_kind: Optional[str]) -> str:
    if checkpoint_kind == 'distiller' and model_kind != 'distiller':
        return ('Hint: evaluate a distiller checkpoint with its distiller config, or export '
                'its student first (tools/export_student.py).')
    if checkpoint_kind in ('unimodal', 'exported_student') and model_kind == 'distiller':
        return ('Hint: this config builds a distiller; evaluate a unimodal or exported-student '
                "checkpoint with the student's own (unimodal) config.")
    return ''


def load_checkpoint_strict(model: nn.Module, filename: Union[str, os.PathLike],
                           logger: Optional[logging.Logger] = None,
                           model_description: Optional[dict] = None,
                           map_location: str = 'cpu',
                           revise_keys: Sequence[tuple] = ((r'^module\.', ''),)) -> dict:
    """Load ``filename`` into ``model`` if every key is present with the right shape.

    Args:
        model: The model (unwrapped from DDP).
        filename: Local checkpoint path.
        logger: Its log files get the full key lists of a mismatch (the console does not).
        model_description: The model's :func:`fdkd_mm.checkpoint.metadata.model_record`, to
            say in the error what the config builds.
        map_location: Same as :func:`torch.load`.
        revise_keys: ``(pattern, replacement)`` applied to the checkpoint's keys, as MMEngine's
            ``load_checkpoint`` does (DDP's ``module.`` prefix by default).

    Returns:
        The loaded checkpoint (``meta`` etc.), its weights now in ``model``.

    Raises:
        CheckpointMismatchError: Keys are missing, unexpected or mis-shaped; the message
            gives their counts, the first few of each and what the checkpoint and the model are.
        FileNotFoundError, CorruptCheckpointError, UnsafeCheckpointError: From reading the file.
    """
    checkpoint = load_checkpoint_file(filename, map_location=map_location)
    load_state_dict_strict(model, checkpoint, os.fspath(filename), logger, model_description,
                           revise_keys)
    return checkpoint


def load_state_dict_strict(model: nn.Module, checkpoint: Mapping, filename: str,
                           logger: Optional[logging.Logger] = None,
                           model_description: Optional[dict] = None,
                           revise_keys: Sequence[tuple] = ((r'^module\.', ''),)) -> None:
    """The checking half of :func:`load_checkpoint_strict`, for a checkpoint already read.

    Args:
        model: The model (unwrapped from DDP).
        checkpoint: The loaded checkpoint (or a bare state dict).
        filename: Its path, for the messages.
        logger: See :func:`load_checkpoint_strict`.
        model_description: See :func:`load_checkpoint_strict`.
        revise_keys: See :func:`load_checkpoint_strict`.

    Raises:
        CheckpointMismatchError: See :func:`load_checkpoint_strict`.
    """
    if not isinstance(checkpoint, Mapping):
        raise CheckpointMismatchError(
            f'{filename} holds a {type(checkpoint).__name__}, not a checkpoint dict',
            KeyMismatch([], [], []), {})
    state_dict = checkpoint.get('state_dict', checkpoint)
    for pattern, replacement in revise_keys:
        state_dict = {re.sub(pattern, replacement, key): value
                      for key, value in state_dict.items()}
    mismatch = compare_state_dicts(model.state_dict(), state_dict)
    if mismatch:
        description = describe_checkpoint(checkpoint)
        raise CheckpointMismatchError(
            _mismatch_message(filename, mismatch, description, model, model_description, logger),
            mismatch, description)
    result = model.load_state_dict(state_dict, strict=False)
    leftover = [key for key in result.missing_keys if not key.endswith('num_batches_tracked')]
    if leftover or result.unexpected_keys:  # a module's own load hook disagreed
        raise CheckpointMismatchError(
            f'checkpoint {filename}: loading left {len(leftover)} missing and '
            f'{len(result.unexpected_keys)} unexpected keys, e.g. '
            f'{(leftover + list(result.unexpected_keys))[:SHOWN_KEYS]}',
            KeyMismatch(leftover, list(result.unexpected_keys), []),
            describe_checkpoint(checkpoint))


def load_teacher_weights(teacher: nn.Module, path: str, expected_modality: Optional[str],
                         teacher_cfg: Optional[Mapping], allow_mismatch: bool,
                         override_hint: str) -> dict:
    """Load a trained unimodal teacher's checkpoint into ``teacher``, checked and strict.

    Refused when the checkpoint's record says it was trained on another modality or network
    (:func:`~fdkd_mm.checkpoint.metadata.check_teacher_checkpoint`), or when its keys do not
    fit (:func:`load_state_dict_strict`, full key lists to the current logger's files). The
    caller checks that ``path`` exists, with its own message.

    Args:
        teacher: The built teacher (unwrapped).
        path: The teacher checkpoint.
        expected_modality: The modality the teacher reads; ``None`` skips the check.
        teacher_cfg: The teacher's model config; ``None`` skips the network check.
        allow_mismatch: Warn instead of raising on a modality or network mismatch.
        override_hint: How the user switches ``allow_mismatch`` on, quoted in the error.

    Returns:
        The loaded checkpoint.
    """
    checkpoint = load_checkpoint_file(path, map_location='cpu')
    check_teacher_checkpoint(checkpoint, expected_modality, teacher_cfg,
                             allow_mismatch=allow_mismatch, override_hint=override_hint)
    load_state_dict_strict(teacher, checkpoint, path, logger=MMLogger.get_current_instance())
    return checkpoint


def _mismatch_message(filename: str, mismatch: KeyMismatch, description: dict, model: nn.Module,
                      model_description: Optional[dict], logger: Optional[logging.Logger]) -> str:
    model_text = (format_description(model_description, noun='model')
                  if model_description else type(model).__name__)
    log_file = _log_to_file_only(logger, f'checkpoint {filename} does not fit the model:\n  '
                                 + _full_lists(mismatch))
    lines = [
        f'checkpoint {filename} does not fit the model of this config:',
        f'  the checkpoint is {format_description(description)}',
        f'  the config builds {model_text}',
        _summary_line('missing keys', mismatch.missing, 'in the model, not the checkpoint'),
        _summary_line('unexpected keys', mismatch.unexpected, 'in the checkpoint, not the model'),
        _summary_line('mis-shaped keys',
                      [f'{k} {tuple(c)} vs {tuple(m)}' for k, c, m in mismatch.mis_shaped],
                      'checkpoint vs model shape'),
        f'  full key lists: {log_file}' if log_file else '',
        _hint(description.get('kind'), (model_description or {}).get('kind'))]
    return '\n'.join(line for line in lines if line)
