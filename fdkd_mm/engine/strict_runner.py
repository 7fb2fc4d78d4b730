"""A Runner that loads checkpoints strictly (``tools/test.py``, ``--resume``)."""
from typing import Callable, Sequence, Union

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from fdkd_mm.checkpoint.metadata import model_record
from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
from fdkd_mm.checkpoint.strict_loading import load_state_dict_strict


class StrictLoadRunner(Runner):
    """``Runner`` whose ``load_checkpoint`` refuses a checkpoint that does not fit the model.

    MMEngine loads ``load_from`` / resume checkpoints with ``strict=False``: testing a teacher
    checkpoint with a distiller config, or a checkpoint of another dataset, evaluates random
    weights and reports chance level. Here any missing, unexpected or mis-shaped key raises
    :class:`fdkd_mm.checkpoint.strict_loading.CheckpointMismatchError` with a short summary (the
    full key lists go to the log file). Hooks see the checkpoint in the same order as in
    MMEngine: ``after_load_checkpoint`` first, then the weights are loaded.
    """

    def load_checkpoint(self, filename: str, map_location: Union[str, Callable] = 'cpu',
                        strict: bool = True,
                        revise_keys: Sequence[tuple] = ((r'^module.', ''),)) -> dict:
        """Load ``filename`` strictly (``strict`` is accepted for MMEngine's signature and
        ignored)."""
        checkpoint = load_checkpoint_file(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        load_state_dict_strict(model, checkpoint, filename, self.logger, model_record(self.cfg),
                               revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename} (all keys matched)')
        return checkpoint
