"""Build the teacher bank of an unpaired distiller before training (skipped when resuming)."""
import time

from mmengine.dist import broadcast_object_list, get_rank, is_distributed
from mmengine.hooks import Hook

from fdkd_mm.teacher_bank.build import (SETTINGS_KEY, bank_settings, banked_losses,
                                         build_teacher_bank, verify_bank_source)
from fdkd_mm.registry import HOOKS


@HOOKS.register_module()
class BuildTeacherBankHook(Hook):
    """Fill the empty teacher bank of every ``UnpairedFDLoss`` from the config's
    ``teacher_bank`` / ``teacher_dataloader`` (see :mod:`fdkd_mm.teacher_bank.build`).

    Runs in ``before_train``, after MMEngine has loaded or resumed a checkpoint: a bank that
    came back with it (``--resume``), or from the loss's ``bank_file``, is not rebuilt, only
    checked against the configured teacher checkpoint (SHA-256) and teacher data; a bank of
    another teacher or other data stops training with an error. In distributed training rank
    0 builds the bank and sends it to the others, so every rank holds the same bits.

    Args:
        progress: Show a progress bar while the teacher runs.
    """

    priority = 'VERY_HIGH'

    def __init__(self, progress: bool = True) -> None:
        self.progress = progress

    def before_train(self, runner) -> None:
        """Build (or verify) the banks."""
        settings = runner.cfg.get(SETTINGS_KEY)
        losses = banked_losses(runner.model, settings.get('loss') if settings else None)
        if not losses:
            runner.logger.warning('BuildTeacherBankHook: the model has no loss with a teacher '
                                  'bank (UnpairedFDLoss); the hook does nothing')
            return
        for name, loss in losses.items():
            where = f'the teacher bank of distill loss {name!r}'
            if loss.bank.filled:
                if settings is not None:
                    verified = verify_bank_source(loss.bank.manifest, runner.cfg, where)
                    runner.logger.info(f'{where} is already held (checkpoint or bank_file); '
                                       f'not rebuilt, verified: {", ".join(verified)}')
                continue
            bank_settings(runner.cfg)  # names what is missing when there is nothing to build
            started = time.time()
            state = [None]
            if get_rank() == 0:
                # The model's device (a loss without parameters, e.g. the label term alone,
                # has none of its own).
                parameter = next(runner.model.parameters(), None)
                device = str(parameter.device) if parameter is not None else 'cpu'
                # The student's data as the runner built it (not built a second time).
                state[0] = build_teacher_bank(
                    runner.cfg, loss, device=device, progress=self.progress,
                    student_dataset=runner.train_dataloader.dataset)
            if is_distributed():
                broadcast_object_list(state, src=0)
            loss.load_bank(state[0], f'the bank built for {name!r}')
            manifest = loss.bank.manifest
            runner.logger.info(
                f'built {where} from {manifest["num_samples"]} teacher samples '
                f'({manifest["layout"]}, {loss.bank.num_bytes() / 2 ** 20:.2f} MiB) in '
                f'{time.time() - started:.1f} s')
