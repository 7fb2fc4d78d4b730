"""Crash-safe checkpoints: never a half-written file under a checkpoint's final name."""
import contextlib
import glob
import os
import os.path as osp
from collections.abc import Iterator

from mmengine.dist import all_reduce_params, is_distributed, is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from fdkd_mm.checkpoint.atomic import commit_tmp, naming_the_file, write_text_atomic
from fdkd_mm.registry import HOOKS


def last_checkpoint_pointer(work_dir: str) -> str:
    """The file naming a work dir's newest checkpoint, which ``--resume`` reads (MMEngine's
    ``find_latest_checkpoint``); written atomically here."""
    return osp.join(work_dir, 'last_checkpoint')


#: Metrics ``save_best='auto'`` selects, in this order, before falling back to the first one.
PREFERRED_BEST_METRICS = ('mIoU', 'accuracy/top1')


def preferred_best_metric(metrics: dict) -> str:
    """The metric ``save_best='auto'`` follows: mIoU, else top-1, else the first one."""
    for preferred in PREFERRED_BEST_METRICS:
        for key in metrics:
            if key == preferred or key.endswith('/' + preferred):
                return key
    return next(iter(metrics))


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose periodic checkpoints survive a kill at any moment.

    MMEngine (0.10.x) serializes a checkpoint into memory and then writes the bytes straight to
    the final path (``LocalBackend.put``), updates ``last_checkpoint`` by truncating and
    rewriting it, and deletes the oldest checkpoint (``max_keep_ckpts``) *before* writing the new
    one. A process killed while writing leaves a truncated ``iter_N.pth`` that
    ``last_checkpoint`` may already name, so ``--resume`` fails; with ``max_keep_ckpts=1`` the
    only good checkpoint is gone too. Here, on local disks:

    1. the checkpoint is written to ``<name>.tmp``, fsynced and renamed (``os.replace`` is
       atomic) to its final name;
    2. only then is ``last_checkpoint`` replaced, also through a temporary file;
    3. only then are checkpoints beyond ``max_keep_ckpts`` deleted.

    A kill before step 1 completes leaves the previous checkpoint and pointer untouched; stale
    ``*.tmp`` files of a killed run are removed when training starts.

    ``save_best`` checkpoints get the same treatment: MMEngine deletes the previous best file
    and then writes the new one in place; here the new one goes through a temporary file and
    the previous one is deleted after the rename, so a kill leaves a complete best checkpoint
    (at worst two). Other file backends keep MMEngine's behaviour. A failed write (full disk)
    raises an ``OSError`` naming the checkpoint and leaves no partial file.

    ``save_best='auto'`` follows mIoU (segmentation) or top-1 accuracy (classification);
    MMEngine's ``'auto'`` takes the first metric, which for mmseg's ``IoUMetric`` is aAcc.
    Other metrics keep MMEngine's rule (the first one).

    In distributed runs without SyncBN each rank's BatchNorm statistics come from its own
    batches, and only rank 0's would be written: with ``sync_buffers`` (default) the buffers
    are averaged over the ranks right before every checkpoint, so the checkpoint, the
    training state of every rank and a resumed run agree (``SyncBuffersHook`` does the same
    before validation).

    Args:
        sync_buffers: Average the model buffers over the ranks before each checkpoint.
        **kwargs: Every argument of :class:`mmengine.hooks.CheckpointHook`.
    """

    def __init__(self, *args, sync_buffers: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(sync_buffers, bool):
            raise TypeError(f'default_hooks.checkpoint.sync_buffers must be True or False, got '
                            f'{sync_buffers!r}')
        self.sync_buffers = sync_buffers

    def _sync_buffers(self, runner) -> None:
        if self.sync_buffers and is_distributed():
            all_reduce_params(runner.model.buffers(), op='mean')

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process() and isinstance(self.file_backend, LocalBackend):
            for stale in glob.glob(osp.join(self.out_dir, '*.tmp')):
                os.remove(stale)

    def _rotate(self, runner, step: int) -> list:
        """Record ``step`` among the kept checkpoints; return the paths to delete afterwards."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            return []
        stale = []
        while len(self.keep_ckpt_ids) >= self.max_keep_ckpts:
            old = self.keep_ckpt_ids.popleft()
            stale.append(self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old)))
        self.keep_ckpt_ids.append(step)
        # Stored in the checkpoint's message hub, so a resumed run deletes the right files.
        runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        return stale

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        self._sync_buffers(runner)
        if not isinstance(self.file_backend, LocalBackend):
            return super()._save_checkpoint_with_step(runner, step, meta)
        stale = self._rotate(runner, step)
        filename = self.filename_tmpl.format(step)
        final = self.file_backend.join_path(self.out_dir, filename)
        self.last_ckpt = final
        runner.message_hub.update_info('last_ckpt', final)
        with naming_the_file(final):
            runner.save_checkpoint(
                self.out_dir, filename + '.tmp', self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler, meta=meta,
                by_epoch=self.by_epoch, backend_args=self.backend_args, **self.args)
            if not is_main_process():  # Runner.save_checkpoint writes on the main process only
                return
            commit_tmp(final)
        write_text_atomic(last_checkpoint_pointer(runner.work_dir), final)
        for path in stale:
            if path != final and osp.isfile(path):
                os.remove(path)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if self.save_best and 'auto' in self.key_indicators and metrics:
            key = preferred_best_metric(metrics)
            runner.logger.info(f"save_best='auto' follows {key} (metrics: {', '.join(metrics)})")
            self._init_rule(self.rules, [key])
            self.key_indicators = [key]
        if not self.save_best:
            return super()._save_best_checkpoint(runner, metrics)
        self._sync_buffers(runner)
        if not isinstance(self.file_backend, LocalBackend):
            return super()._save_best_checkpoint(runner, metrics)
        with self._best_written_atomically(runner) as previous_best:
            super()._save_best_checkpoint(runner, metrics)
        current = {getattr(self, 'best_ckpt_path', None),
                   *getattr(self, 'best_ckpt_path_dict', {}).values()}
        for path in previous_best:
            if path not in current and osp.isfile(path):
                os.remove(path)

    @contextlib.contextmanager
    def _best_written_atomically(self, runner) -> Iterator[list]:
        """Within MMEngine's save-best logic: write ``best_*`` files via ``.tmp`` + rename and
        hold back the deletion of the previous best (collected in the yielded list)."""
        previous_best: list[str] = []
        save_checkpoint, remove = runner.save_checkpoint, self.file_backend.remove

        def save_best(out_dir, filename, *args, **kwargs):
            if not filename.startswith('best_'):  # the regular re-save at the end
                return save_checkpoint(out_dir, filename, *args, **kwargs)
            final = self.file_backend.join_path(out_dir, filename)
            with naming_the_file(final):
                save_checkpoint(out_dir, filename + '.tmp', *args, **kwargs)
                if is_main_process():
                    commit_tmp(final)

        def defer_remove(path, *args, **kwargs):
            if osp.basename(str(path)).startswith('best_'):
                previous_best.append(str(path))
            else:
                remove(path, *args, **kwargs)

        with _replaced(runner, 'save_checkpoint', save_best), \
                _replaced(self.file_backend, 'remove', defer_remove):
            yield previous_best


@contextlib.contextmanager
def _replaced(obj, name: str, value) -> Iterator[None]:
    """Set ``obj.name = value`` for the duration of the block, then restore what was there."""
    own = name in vars(obj)
    saved = vars(obj).get(name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        if own:
            setattr(obj, name, saved)
        else:
            delattr(obj, name)  # the class attribute shows through again
