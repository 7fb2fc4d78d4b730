"""What the sections of ``tools/gpu/checks.py`` share: their context and result file.

A section runs in a process of its own (``checks.py --section NAME``), gets a
:class:`Context` and writes what it measured into ``ctx.result`` as it goes, so that a section
stopped at its time limit still leaves the numbers it had.
"""
import json
import os
import os.path as osp
import time
from dataclasses import dataclass, field
from typing import Any

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))


class Result(dict):
    """A section's results, saved (atomically) to its JSON file at every :meth:`save`."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def save(self) -> None:
        """Write the results now (a temporary file renamed over the old one)."""
        tmp = f'{self.path}.tmp'
        with open(tmp, 'w') as f:
            json.dump(self, f, indent=1, default=_jsonable)
        os.replace(tmp, self.path)

    def put(self, key: str, value: Any) -> None:
        """Set ``key`` and save."""
        self[key] = value
        self.save()


def _jsonable(value: Any) -> Any:
    """JSON for what ``json`` cannot write itself (torch sizes, numpy scalars, paths)."""
    if hasattr(value, 'tolist'):
        return value.tolist()
    if isinstance(value, (tuple, set)):
        return list(value)
    return str(value)


@dataclass
class Context:
    """What a section knows of its run.

    Attributes:
        device: ``'cuda'`` or ``'cpu'`` (``--cpu``).
        quick: Tiny sizes and few rounds (``--quick``: the CPU test of the scripts).
        deadline: ``time.time()`` by which the section should have written its results; it is
            killed a little later.
        workdir: A folder of its own for data, configs and work dirs.
        result: Where its numbers go.
        python: The interpreter of the checks (for the tools a section launches).
    """

    device: str
    quick: bool
    deadline: float
    workdir: str
    result: Result
    python: str
    extra: dict = field(default_factory=dict)

    def left(self) -> float:
        """Seconds until the deadline (negative once past it)."""
        return self.deadline - time.time()


class TimeLimit(RuntimeError):
    """A section stopped part of its work at its deadline (reported as a timeout, not an
    error: it ran, the budget was too small)."""


#: The exit code of a section that raised :class:`TimeLimit` (as coreutils' ``timeout``).
TIME_LIMIT_EXIT = 124


def error_text(error: BaseException) -> str:
    """One line naming an exception, for a report."""
    return f'{type(error).__name__}: {error}'.splitlines()[0][:500]
