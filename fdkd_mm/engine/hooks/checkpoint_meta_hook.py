"""Record in every checkpoint what model it holds (kind, modalities, networks)."""
from mmengine.hooks import Hook

from fdkd_mm.registry import HOOKS
from fdkd_mm.checkpoint.metadata import MODEL_RECORD_KEY, model_record


@HOOKS.register_module()
class CheckpointMetaHook(Hook):
    """Write :func:`fdkd_mm.checkpoint.metadata.model_record` into ``meta['fdkd_mm_model']``.

    With it, a checkpoint says whether it is a distiller or a unimodal model, which modality
    each network reads and which network it is, so loading it as a teacher of the wrong
    modality, or testing it with a config it does not fit, can be refused with a message that
    says what the file is (``check_teacher_checkpoint``, ``load_checkpoint_strict``).
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        record = model_record(runner.cfg)
        if record:
            checkpoint.setdefault('meta', {})[MODEL_RECORD_KEY] = record
