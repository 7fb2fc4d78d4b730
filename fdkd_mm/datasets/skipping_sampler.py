"""A sampler whose next pass may start part-way, so a resumed stream skips what it already drew
without loading those samples."""
import itertools
from collections.abc import Iterator, Mapping
from typing import Optional, Union

from torch.utils.data import Sampler


class SkippingSampler(Sampler):
    """Wraps a sampler; the pass after :meth:`skip_next` drops that many leading indices.

    Built by ``Runner.build_dataloader`` in place of the configured sampler (it receives the
    dataset and seed MMEngine passes to every sampler, and builds the wrapped one with them),
    so the wrapped sampler keeps its own shuffling, seed, epochs and distributed split (e.g.
    MMEngine's ``DefaultSampler``, which gives each rank its share). Skipping ``k`` indices of
    a rank's share and batching the rest gives the batches after the first ``k / batch_size``,
    exactly.

    Args:
        dataset: The dataset (passed by the dataloader builder).
        sampler: Config of the wrapped sampler, or a built one.
        seed: The builder's seed, the wrapped sampler's default.
    """

    def __init__(self, dataset, sampler: Union[Mapping, Sampler],
                 seed: Optional[int] = None) -> None:
        if isinstance(sampler, Mapping):
            from fdkd_mm.registry import DATA_SAMPLERS
            sampler = DATA_SAMPLERS.build(dict(sampler),
                                          default_args=dict(dataset=dataset, seed=seed))
        self.sampler = sampler
        self._skip = 0

    def skip_next(self, count: int) -> None:
        """Drop the first ``count`` indices of the next pass only."""
        if count < 0:
            raise ValueError(f'cannot skip {count} indices')
        self._skip = int(count)

    def set_epoch(self, epoch: int) -> None:
        """Forward the epoch to the wrapped sampler (its shuffle depends on it)."""
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)

    @property
    def seed(self) -> Optional[int]:
        """The wrapped sampler's seed (None if it has none)."""
        return getattr(self.sampler, 'seed', None)

    @seed.setter
    def seed(self, value: int) -> None:
        if hasattr(self.sampler, 'seed'):
            self.sampler.seed = value

    def __iter__(self) -> Iterator[int]:
        skip, self._skip = self._skip, 0
        return itertools.islice(iter(self.sampler), skip, None)

    def __len__(self) -> int:
        return len(self.sampler)
