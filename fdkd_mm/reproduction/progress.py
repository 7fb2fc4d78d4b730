"""One progress line per epoch from a training/testing subprocess whose output goes to a log.

The runs of ``tools/reproduce.py`` and ``tools/demo.py`` write their whole output to a log file;
without this a run of many epochs is minutes of silence. MMEngine's logger lines are read as
they come and each new training epoch (and each validation/test result) is summarised in one
line: ``epoch 3: loss 1.234, eta 0:01:10``.
"""
import re
import subprocess
from typing import Callable, Optional, Sequence

_TRAIN = re.compile(r'Epoch\(train\)\s*\[(\d+)\]\s*\[\s*\d+/\d+\]')
_EVAL = re.compile(r'Epoch\((val|test)\)\s*(?:\[\d+\])?\s*\[\s*\d+/\d+\]\s+(.*)$')
_METRIC = re.compile(r'([\w/.-]+):\s*(\S+)')
#: Fields of MMEngine's log lines that are timings, not results.
_TIMINGS = ('eta', 'time', 'data_time', 'memory')
_ETA = re.compile(r'\beta:\s*(\S+)')
_LOSS = re.compile(r'\bloss:\s*([-\d.eE+naif]+)')


class EpochProgress:
    """Turns MMEngine log lines into one summary line per epoch and per evaluation."""

    def __init__(self) -> None:
        self.epoch = 0

    def __call__(self, line: str) -> Optional[str]:
        """The summary for ``line``, or None when it starts no new epoch / evaluation.

        Args:
            line: One line of the subprocess's output.

        Returns:
            ``epoch N: loss X, eta T`` for the first logged iteration of a new epoch,
            ``val: aAcc 40.0, mIoU 12.5`` / ``test: ...`` for an evaluation's result line (its
            timings left out), else None.
        """
        found = _TRAIN.search(line)
        if found:
            epoch = int(found.group(1))
            if epoch == self.epoch:
                return None
            self.epoch = epoch
            loss, eta = _LOSS.search(line), _ETA.search(line)
            parts = [f'loss {loss.group(1)}' if loss else '', f'eta {eta.group(1)}' if eta else '']
            return f'epoch {epoch}: ' + ', '.join(p for p in parts if p)
        found = _EVAL.search(line)
        if found and 'eta:' not in found.group(2):  # the result line, not a progress line
            metrics = [f'{k} {v}' for k, v in _METRIC.findall(found.group(2))
                       if k not in _TIMINGS]
            return f'{found.group(1)}: ' + ', '.join(metrics) if metrics else None
        return None


def run_logged(command: Sequence[str], cwd: str, log_file: str,
               on_progress: Optional[Callable[[str], None]] = None) -> int:
    """Run a command, its output (stdout and stderr) into ``log_file``, progress summarised.

    Args:
        command: The command line.
        cwd: Its working folder.
        log_file: Where the whole output goes.
        on_progress: Called with each :class:`EpochProgress` summary (None: no summaries).

    Returns:
        The command's exit status.
    """
    summarise = EpochProgress()
    with open(log_file, 'w') as out, subprocess.Popen(
            list(command), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors='replace', bufsize=1) as process:
        for line in process.stdout:
            out.write(line)
            if on_progress is not None:
                summary = summarise(line)
                if summary:
                    out.flush()
                    on_progress(summary)
    return process.returncode
