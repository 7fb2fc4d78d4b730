"""The teacher's own batches, one per training step beside the student's: cycled, seeded,
resumable.

Without paired data the teacher's features come from the teacher-modality dataset (e.g. part A
of a :class:`~fdkd_mm.datasets.DisjointPartDataset`), whose length has nothing to do with the
student's epoch. :class:`TeacherStream` reads it through an MMEngine dataloader
(``Runner.build_dataloader``: dataset, sampler, batch size, workers, collate as configured),
starts a new pass when one runs out (its own epoch counter, so a shuffling sampler draws a new
order each pass) and records where it is (pass, batches drawn in it, the sampler's seed), so a
resumed run continues the stream exactly where the interrupted one was.
"""
import copy
from collections.abc import Iterator, Mapping
from typing import Any, Optional

from mmengine.dist import get_world_size
from mmengine.logging import print_log
from mmengine.runner import Runner

from fdkd_mm.datasets.skipping_sampler import SkippingSampler
from fdkd_mm.errors import ConfigError, DataError

#: The sampler of a stream whose config names none: shuffled, MMEngine's distributed split.
DEFAULT_SAMPLER = dict(type='DefaultSampler', shuffle=True)
#: What a stream's position is only valid for (a resumed run compares them).
LAYOUT_KEYS = ('num_samples', 'batch_size', 'world_size')


class TeacherStream:
    """An endless, resumable stream of batches over a dataloader config.

    Args:
        loader_cfg: A dataloader config as MMEngine's (``dataset``, ``sampler``,
            ``batch_size``, ``num_workers``, ``drop_last``, ...). ``sampler`` defaults to
            :data:`DEFAULT_SAMPLER`; its ``seed``, if given, is the stream's, else ``seed``.
            MMEngine's ``DefaultSampler`` gives each rank its own share in a distributed run.
            A ``batch_sampler`` is refused: skipping on resume is exact only for plain
            batches.
        seed: The sampler's seed when its config sets none (and the workers' seed).
        where: The config key of ``loader_cfg``, for messages.

    Raises:
        ConfigError: ``loader_cfg`` is not a dict, or has a ``batch_sampler``.
        DataError: The dataset is empty.
    """

    def __init__(self, loader_cfg: Mapping, seed: Optional[int],
                 where: str = 'teacher_dataloader') -> None:
        if not isinstance(loader_cfg, Mapping) or 'dataset' not in loader_cfg:
            raise ConfigError(f'{where} must be a dataloader config with a dataset, got '
                              f'{type(loader_cfg).__name__}')
        cfg = copy.deepcopy(dict(loader_cfg))
        if cfg.get('batch_sampler') is not None:
            raise ConfigError(f'{where}.batch_sampler is not supported for a teacher stream '
                              '(its position is skipped exactly only for plain batches); '
                              'remove it and set batch_size')
        cfg['sampler'] = dict(type=SkippingSampler,
                              sampler=dict(cfg.get('sampler') or DEFAULT_SAMPLER))
        self.where = where
        self.loader = Runner.build_dataloader(cfg, seed=seed)
        if len(self.loader.dataset) == 0:
            raise DataError(f'{where}: the teacher\'s dataset is empty; a teacher stream needs '
                            'the teacher-modality samples')
        self.sampler: SkippingSampler = self.loader.sampler
        self.epoch = 0  # passes completed
        self.position = 0  # batches drawn in the current pass
        self._iterator: Optional[Iterator] = None

    # --------------------------------------------------------------------------- layout
    @property
    def batch_size(self) -> int:
        """Samples per batch (per rank)."""
        return int(self.loader.batch_size)

    @property
    def seed(self) -> Optional[int]:
        """The sampler's seed (its order is a function of seed and epoch)."""
        return self.sampler.seed

    def layout(self) -> dict[str, int]:
        """What a saved position is valid for: dataset size, batch size, ranks."""
        return dict(num_samples=len(self.loader.dataset), batch_size=self.batch_size,
                    world_size=get_world_size())

    # ---------------------------------------------------------------------------- drawing
    def _start_pass(self) -> None:
        self.sampler.set_epoch(self.epoch)
        self.sampler.skip_next(self.position * self.batch_size)
        self._iterator = iter(self.loader)

    def next(self) -> Any:
        """The next batch, as the dataloader collates it; a new pass when one runs out.

        Raises:
            DataError: A pass yields no batch at all (an empty dataset, or fewer samples per
                rank than ``batch_size`` with ``drop_last=True``).
        """
        if self._iterator is None:
            self._start_pass()
        try:
            batch = next(self._iterator)
        except StopIteration:
            empty_pass = self.position == 0
            self.epoch, self.position = self.epoch + 1, 0
            self._start_pass()
            try:
                batch = next(self._iterator)
            except StopIteration:
                empty_pass = True
            if empty_pass:
                self._iterator = None
                raise DataError(
                    f'{self.where} yields no batch: {self.layout()["num_samples"]} samples, '
                    f'batch_size {self.batch_size}, drop_last '
                    f'{bool(self.loader.drop_last)}, {get_world_size()} rank(s); give the '
                    'teacher more data or a smaller batch_size') from None
        self.position += 1
        return batch

    # --------------------------------------------------------------------------- resuming
    def state_dict(self) -> dict:
        """Where the stream is: ``epoch``, ``position`` (batches drawn in it), ``seed`` and
        the :meth:`layout` they are valid for."""
        return dict(epoch=self.epoch, position=self.position, seed=self.seed, **self.layout())

    def load_state_dict(self, state: Mapping, source: str = 'the checkpoint') -> None:
        """Continue from ``state`` (of :meth:`state_dict`): the next batch is the one the
        saved stream would have drawn next.

        A state saved for another dataset size, batch size or number of ranks cannot be
        continued exactly: the stream then starts the pass after the saved one, with a
        warning naming what differs.

        Args:
            state: A saved state.
            source: Where it comes from, for messages.

        Raises:
            ConfigError: ``state`` lacks an entry.
        """
        missing = [key for key in ('epoch', 'position', 'seed', *LAYOUT_KEYS) if key not in state]
        if missing:
            raise ConfigError(f'the {self.where} stream state in {source} lacks {missing}')
        if state['seed'] is not None:
            self.sampler.seed = int(state['seed'])
        differs = {key: (state[key], value) for key, value in self.layout().items()
                   if state[key] != value}
        self._iterator = None
        if differs:
            listed = ', '.join(f'{key} {saved} -> {now}' for key, (saved, now) in differs.items())
            print_log(f'{self.where}: the stream saved in {source} was for another layout '
                      f'({listed}); it cannot continue exactly and starts pass '
                      f'{int(state["epoch"]) + 1} from its beginning', logger='current',
                      level=30)
            self.epoch, self.position = int(state['epoch']) + 1, 0
            return
        self.epoch, self.position = int(state['epoch']), int(state['position'])
