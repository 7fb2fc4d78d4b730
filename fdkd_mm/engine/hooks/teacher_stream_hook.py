"""Build the data streams of streamed teachers before training; keep their positions in
checkpoints so a resumed run continues them exactly."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from fdkd_mm.datasets.teacher_stream import TeacherStream
from fdkd_mm.errors import ConfigError
from fdkd_mm.models.teachers.streamed import StreamedTeacher
from fdkd_mm.registry import HOOKS

#: Top-level config key of the teacher's data (shared with the teacher bank's builder).
LOADER_KEY = 'teacher_dataloader'
#: Checkpoint key of the streams' positions, by teacher name.
STATE_KEY = 'teacher_streams'
#: The first stream's default seed is the run's seed plus this (the next teacher's plus 2...):
#: its own order, different from the student's even over the same data, and deterministic.
SEED_OFFSET = 1


def streamed_teachers(model) -> dict[str, StreamedTeacher]:
    """The model's streamed teachers by name (``{}`` if it has none)."""
    if is_model_wrapper(model):
        model = model.module
    teachers = getattr(model, 'teachers', None) or {}
    return {name: t for name, t in teachers.items() if isinstance(t, StreamedTeacher)}


@HOOKS.register_module()
class TeacherStreamHook(Hook):
    """Attach to every :class:`~fdkd_mm.models.teachers.StreamedTeacher` its
    :class:`~fdkd_mm.datasets.teacher_stream.TeacherStream`.

    In ``before_train`` (after MMEngine has loaded or resumed a checkpoint) each streamed
    teacher gets a stream over its own ``dataloader`` config or, for one teacher without it,
    the config's top-level ``teacher_dataloader``, built the MMEngine way
    (``Runner.build_dataloader``). The sampler's seed is the one its config sets, else the
    run's seed + 1 (+ 2 for a second streamed teacher, ...). A resumed run restores each
    stream's position from the checkpoint (key ``teacher_streams``), so the teacher draws the
    batches an uninterrupted run would have drawn.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Only a resumed run continues the streams; loading weights (load_from) does not.
        if getattr(runner, '_resume', False):
            self._pending = dict(checkpoint.get(STATE_KEY) or {})

    def before_train(self, runner) -> None:
        """Build, attach and (when resuming) position every teacher's stream."""
        teachers = streamed_teachers(runner.model)
        if not teachers:
            runner.logger.warning('TeacherStreamHook: the model has no StreamedTeacher; the '
                                  'hook does nothing')
            return
        lacking = [name for name, teacher in teachers.items() if teacher.dataloader_cfg is None]
        if len(lacking) > 1:
            raise ConfigError(f'streamed teachers {lacking} have no dataloader of their own; '
                              f'the config\'s {LOADER_KEY} serves one of them: give the others '
                              'model.teachers.<name>.dataloader')
        pending, self._pending = self._pending, None
        for offset, (name, teacher) in enumerate(teachers.items(), start=SEED_OFFSET):
            if teacher.dataloader_cfg is not None:
                cfg, where = teacher.dataloader_cfg, teacher.config_key('dataloader')
            else:
                cfg, where = runner.cfg.get(LOADER_KEY), LOADER_KEY
                if cfg is None:
                    raise ConfigError(f'{teacher.label} is a StreamedTeacher but the config has '
                                      f'no {LOADER_KEY} (the teacher-modality data it streams)')
            seed = runner.seed + offset if runner.seed is not None else None
            stream = TeacherStream(cfg, seed, where)
            if pending is not None:
                if name in pending:
                    stream.load_state_dict(pending[name], 'the resumed checkpoint')
                else:
                    runner.logger.warning(f'the resumed checkpoint holds no stream position of '
                                          f'{teacher.label}; its stream starts afresh')
            teacher.attach(stream)
            state = stream.state_dict()
            runner.logger.info(
                f'{teacher.label} streams {where}: {state["num_samples"]} samples, batch '
                f'{state["batch_size"]}, seed {state["seed"]}, at pass {state["epoch"]} batch '
                f'{state["position"]}')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Record every attached stream's position."""
        streams = {name: teacher.stream.state_dict()
                   for name, teacher in streamed_teachers(runner.model).items()
                   if teacher.stream is not None}
        if streams:
            checkpoint[STATE_KEY] = streams
