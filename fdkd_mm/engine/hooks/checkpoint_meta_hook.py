"""Record in every checkpoint what model it holds and its config as data."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log

from fdkd_mm.registry import HOOKS
from fdkd_mm.checkpoint.config_data import CONFIG_DATA_KEY, config_to_data
from fdkd_mm.checkpoint.metadata import MODEL_RECORD_KEY, model_record

_NOT_CONVERTED = object()


@HOOKS.register_module()
class CheckpointMetaHook(Hook):
    """Write the model record (``meta['fdkd_mm_model']``) and the config as data
    (``meta['cfg_dict']``) into every checkpoint.

    With the record (:func:`fdkd_mm.checkpoint.metadata.model_record`), a checkpoint says
    whether it is a distiller or a unimodal model, which modality each network reads and which
    network it is, so loading it as a teacher of the wrong modality, or testing it with a
    config it does not fit, can be refused with a message that says what the file is
    (``check_teacher_checkpoint``, ``load_checkpoint_strict``).

    With the config as data (:func:`fdkd_mm.checkpoint.config_data.config_to_data`), the
    export and the inferencer read a checkpoint's config without executing the text MMEngine
    stores. A config that is not plain data (a class or function as a value) is logged once
    and not stored: its checkpoints then need the config file passed explicitly.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._config_data = _NOT_CONVERTED

    def _data_of(self, runner) -> Optional[dict]:
        """The runner's config as data, converted at the first checkpoint."""
        if self._config_data is _NOT_CONVERTED:
            try:
                self._config_data = config_to_data(runner.cfg) or None
            except TypeError as error:
                self._config_data = None
                print_log(f'CheckpointMetaHook: checkpoints of this run store no config data '
                          f'({error}); exporting them or inferring from them needs the config '
                          'file (tools/export_student.py --config)', logger='current',
                          level=30)
        return self._config_data

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.setdefault('meta', {})
        record = model_record(runner.cfg)
        if record:
            meta[MODEL_RECORD_KEY] = record
        data = self._data_of(runner)
        if data is not None:
            meta[CONFIG_DATA_KEY] = data
