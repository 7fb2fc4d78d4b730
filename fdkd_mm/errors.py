"""The project's known error types: one small hierarchy the tools print without a traceback.

Every error a user can cause and fix (a config key, a data file, a checkpoint, a teacher, a cache,
a bank, an export) derives from :class:`FdkdError`. The tools print such errors as one
``error: <message>`` block and exit with code 1; anything else is a bug and keeps its traceback.
Each class also derives from the builtin it replaced, so ``except ValueError`` keeps working.
"""


class FdkdError(Exception):
    """Base of every error the user can fix from its message alone."""


class ConfigError(FdkdError, ValueError):
    """A config key holds a wrong type, value or name (the message names the key and file)."""


class DataError(FdkdError, ValueError):
    """A dataset file, split row or data root is missing, empty, unreadable or outside its root."""


class CheckpointError(FdkdError, RuntimeError):
    """A checkpoint is missing, truncated, unsafe or does not fit the model."""


class TeacherError(FdkdError, ValueError):
    """A teacher is missing, of the wrong kind, or does not fit its student."""


class CacheError(FdkdError, ValueError):
    """A teacher cache is missing, stale or does not fit the run."""


class BankError(FdkdError, ValueError):
    """A teacher bank is missing, stale or does not fit the run."""


class ExportError(FdkdError, RuntimeError):
    """A student could not be exported or its export does not match the trained model."""


class MissingDataError(DataError, FileNotFoundError):
    """A data root, split file or listed sample file does not exist (also a FileNotFoundError)."""


class MissingConfigError(ConfigError, FileNotFoundError):
    """The config file itself does not exist (also a FileNotFoundError)."""


class MissingCheckpointError(CheckpointError, FileNotFoundError):
    """A checkpoint file does not exist (also a FileNotFoundError)."""


class ExportArgumentError(ExportError, ValueError):
    """An export was asked for something it refuses (an output over its input, a wrong suffix,
    an unknown prefix); also a ValueError."""
