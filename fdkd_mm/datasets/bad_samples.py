"""Bad samples: name the broken files of a sample, or skip it (``skip_bad_samples=True``).

Real downloads hold a few broken files (a truncated JPEG, an empty wav, a missing image). Every
dataset of fdkd_mm treats them the same way through :class:`SkipBadSamplesMixin`: when the
pipeline fails on a sample, the sample's files are checked; a problem found turns the failure
into a :class:`BadSampleError` naming the files, otherwise the original error is re-raised
(a bug in the pipeline is not a bad sample). With ``skip_bad_samples=True`` a bad sample is
logged and replaced by the next good one, and the replacement's data sample carries
``metainfo['bad_samples_replaced']`` so that ``BadSampleReportHook`` counts it per epoch, also
when the sample was loaded in a dataloader worker.
"""
from typing import Any, List, Optional

from mmengine.logging import print_log
from fdkd_mm.errors import DataError

WARNING = 30  # logging.WARNING, for print_log


class BadSampleError(DataError):
    """A sample's files are missing, undecodable or hold invalid values (message names them)."""


class SkipBadSamplesMixin:
    """Bad-sample handling for an MMEngine ``BaseDataset`` subclass (list it first in the bases).

    Subclasses call :meth:`init_bad_sample_handling` before ``super().__init__``, may set
    ``BAD_SAMPLE_NAME`` (the dataset's name in messages; default: the class name) and implement
    :meth:`diagnose_sample` and :meth:`sample_key`; :meth:`check_loaded` may reject data that
    loaded without error but is invalid.
    """

    BAD_SAMPLE_NAME: Optional[str] = None

    def init_bad_sample_handling(self, skip_bad_samples: bool, max_consecutive_bad: int) -> None:
        """Set the skipping switches (before ``BaseDataset.__init__``).

        Args:
            skip_bad_samples: Replace a bad sample by the next good one instead of failing.
            max_consecutive_bad: How many bad samples in a row are tolerated before giving up
                (a broken pipeline or data root is not a bad sample).
        """
        if max_consecutive_bad < 0:
            raise ValueError(f'max_consecutive_bad must be >= 0, got {max_consecutive_bad}')
        self.skip_bad_samples = skip_bad_samples
        self.max_consecutive_bad = max_consecutive_bad
        #: Bad samples replaced by this process's copy of the dataset (a worker's own count).
        self.num_bad_samples = 0

    # ------------------------------------------------------------------ to override
    def diagnose_sample(self, info: dict) -> List[str]:
        """Check every file of a data info.

        Args:
            info: The data info of the sample.

        Returns:
            One message per problem, each naming the file; empty when the files look fine.
        """
        raise NotImplementedError

    def sample_key(self, info: dict) -> str:
        """Short identifier of a sample in messages and in ``bad_samples_replaced``."""
        raise NotImplementedError

    def check_loaded(self, data: Any, info: dict) -> None:
        """Raise :class:`BadSampleError` if data loaded without error is invalid (optional)."""

    # ------------------------------------------------------------------ shared logic
    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on sample ``idx``; name the sample's bad files if it fails.

        Raises:
            BadSampleError: A file of the sample is missing, undecodable or invalid.
        """
        info = self.get_data_info(idx)
        try:
            data = super().prepare_data(idx)
        except BadSampleError:
            raise
        except Exception as err:
            problems = self.diagnose_sample(info)
            name = self.BAD_SAMPLE_NAME or type(self).__name__
            what = f'{name} sample {self.sample_key(info)!r}'
            if problems:
                raise BadSampleError(f'{what} is unusable: ' + '; '.join(problems)
                                     + f' ({err})') from err
            err.add_note(f'while loading {what}')
            raise
        if data is not None:
            self.check_loaded(data, info)
        return data

    def __getitem__(self, idx: int) -> Any:
        if not self.skip_bad_samples:
            return super().__getitem__(idx)
        replaced = []
        for attempt in range(self.max_consecutive_bad + 1):
            index = (idx + attempt) % len(self)
            try:
                data = super().__getitem__(index)
            except BadSampleError as err:
                self.num_bad_samples += 1
                replaced.append(self.sample_key(self.get_data_info(index)))
                print_log(f'skipping bad sample: {err}', logger='current', level=WARNING)
                continue
            if replaced and isinstance(data, dict) and 'data_samples' in data:
                data['data_samples'].set_metainfo(dict(bad_samples_replaced=replaced))
            return data
        raise BadSampleError(f'{len(replaced)} bad samples in a row from index {idx} '
                             f'({replaced}); the data or the pipeline is broken')
