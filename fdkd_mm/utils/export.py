"""Turn a distiller checkpoint into a checkpoint of the student alone."""
import os
import os.path as osp
from collections import OrderedDict

import torch


def student_state_dict(state_dict: dict, prefix: str = 'student.') -> OrderedDict:
    """Keep the entries under ``prefix`` with the prefix stripped.

    Args:
        state_dict: State dict of a distiller (keys ``student.*``, ``teacher.*``, heads...).
        prefix: Prefix of the student's entries.

    Returns:
        The student's state dict, loadable by a model built from the student's config.

    Raises:
        KeyError: If no key starts with ``prefix``.
    """
    student = OrderedDict((key[len(prefix):], value) for key, value in state_dict.items()
                          if key.startswith(prefix))
    if not student:
        sample = ', '.join(list(state_dict)[:5])
        raise KeyError(f'no state-dict key starts with {prefix!r} (first keys: {sample}); '
                       'is this a distiller checkpoint?')
    return student


def export_student(checkpoint_path: str, out_path: str, prefix: str = 'student.') -> dict:
    """Write the student of a distiller checkpoint as a plain mmseg / mmpretrain checkpoint.

    The meta (epoch, iteration, dataset meta, ...) is kept; optimizer and scheduler states are
    dropped since they refer to the distiller's parameters. The file is written under a
    temporary name and renamed, so a crash never leaves a half-written checkpoint behind.

    Args:
        checkpoint_path: Distiller checkpoint saved by MMEngine's ``CheckpointHook``.
        out_path: Where to write the student checkpoint.
        prefix: Prefix of the student's entries in the distiller's state dict.

    Returns:
        The written checkpoint dict (``meta`` and ``state_dict``).
    """
    if not osp.isfile(checkpoint_path):
        raise FileNotFoundError(f'checkpoint {checkpoint_path!r} does not exist')
    checkpoint = torch.load(checkpoint_path, map_location='cpu', weights_only=False)
    state_dict = checkpoint.get('state_dict', checkpoint)
    exported = dict(meta=checkpoint.get('meta', {}),
                    state_dict=student_state_dict(state_dict, prefix))
    os.makedirs(osp.dirname(osp.abspath(out_path)), exist_ok=True)
    tmp_path = f'{out_path}.tmp'
    torch.save(exported, tmp_path)
    os.replace(tmp_path, out_path)
    return exported
