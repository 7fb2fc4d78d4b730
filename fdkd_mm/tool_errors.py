"""How every command-line tool ends: one error format, exit codes, Ctrl-C.

``run_tool(main)`` wraps a tool's entry point:

* an :class:`~fdkd_mm.errors.FdkdError` (a config key, a data file, a checkpoint, a teacher, a
  cache, a bank, an export the user can fix) prints ``error: <message>`` plus one hint line and
  exits with 1; its traceback goes to the run's log file (when a runner logger has one) and to
  the screen only with ``--debug`` or ``FDKD_DEBUG=1``;
* usage errors keep argparse's exit code 2; ``SystemExit`` passes through unchanged;
* any other exception is a bug: it keeps its traceback;
* Ctrl-C prints one line naming the last complete checkpoint of the work dir (the
  ``last_checkpoint`` file MMEngine and our checkpoint hook keep) and the ``--resume`` command,
  and exits with 130.
"""
import logging
import os
import os.path as osp
import shlex
import sys
import traceback
from typing import Any, Callable, NoReturn, Optional

from fdkd_mm.errors import FdkdError

#: Environment switch that shows the traceback of known errors (as ``--debug`` does).
DEBUG_ENV = 'FDKD_DEBUG'
DEBUG_FLAG = '--debug'
#: Exit status of a process stopped by SIGINT, as shells report it (128 + 2).
INTERRUPTED = 130

#: The work dir of the running tool, set by :func:`remember_work_dir` (the preflight does) so
#: that Ctrl-C can name its last checkpoint.
_state: dict = {'work_dir': None}


def remember_work_dir(work_dir: Optional[str]) -> None:
    """Record the work dir whose checkpoints an interrupt should name.

    Args:
        work_dir: The run's work dir (``cfg.work_dir``), or None.
    """
    _state['work_dir'] = work_dir


def debug_requested(argv: Optional[list] = None) -> bool:
    """Whether tracebacks of known errors should be shown.

    Args:
        argv: The command line (default ``sys.argv``).

    Returns:
        True with ``--debug`` on the command line or ``FDKD_DEBUG=1`` in the environment.
    """
    argv = sys.argv if argv is None else argv
    return DEBUG_FLAG in argv[1:] or os.environ.get(DEBUG_ENV, '') == '1'


def last_complete_checkpoint(work_dir: Optional[str]) -> Optional[str]:
    """The checkpoint a work dir's ``last_checkpoint`` file names, when it exists.

    Args:
        work_dir: The run's work dir.

    Returns:
        The checkpoint path, or None when there is none (yet).
    """
    if not work_dir:
        return None
    pointer = osp.join(work_dir, 'last_checkpoint')
    try:
        with open(pointer) as f:
            path = f.read().strip()
    except OSError:
        return None
    return path if path and osp.isfile(path) else None


def interrupt_message(argv: Optional[list] = None, work_dir: Optional[str] = None) -> str:
    """The one line printed on Ctrl-C.

    Args:
        argv: The command line (default ``sys.argv``).
        work_dir: The run's work dir (default: the one the preflight recorded).

    Returns:
        ``interrupted; last complete checkpoint: ... resume with: ...`` (train), or
        ``interrupted`` plus where nothing was saved.
    """
    argv = list(sys.argv if argv is None else argv)
    work_dir = work_dir or _state['work_dir']
    tool = osp.basename(argv[0]) if argv else ''
    checkpoint = last_complete_checkpoint(work_dir)
    if tool != 'train.py':
        return 'interrupted'
    if checkpoint is None:
        where = f' in {work_dir}' if work_dir else ''
        return (f'interrupted: no complete checkpoint yet{where}; rerun the same command to '
                'start again')
    args = [a for a in argv[1:] if a != DEBUG_FLAG]
    resume = [] if any(a == '--resume' or a.startswith('--resume=') for a in args) else ['--resume']
    command = shlex.join([_python_name(), argv[0], *args, *resume])
    return f'interrupted: last complete checkpoint {checkpoint}; resume with: {command}'


def _python_name() -> str:
    """The interpreter as the user can retype it (relative to the current folder if inside)."""
    exe = sys.executable or 'python'
    rel = osp.relpath(exe)
    return rel if not rel.startswith('..') else exe


def _log_traceback(error: BaseException) -> None:
    """Write the traceback to the current runner logger's log file(s), if any."""
    try:
        from mmengine.logging import MMLogger
    except ImportError:  # pragma: no cover - mmengine is a dependency
        return
    if not MMLogger.check_instance_created(MMLogger.get_current_instance().instance_name):
        return
    logger = MMLogger.get_current_instance()
    text = ''.join(traceback.format_exception(type(error), error, error.__traceback__))
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 0, text, None, None)
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def format_error(error: FdkdError, debug: bool = False) -> str:
    """``error: <message>`` and a hint line (the traceback first with ``debug``).

    Args:
        error: The known error.
        debug: Put the traceback above the message.

    Returns:
        The text to print on stderr.
    """
    message = str(error.args[0]) if len(error.args) == 1 else str(error)
    head = ''
    if debug:
        head = ''.join(traceback.format_exception(type(error), error, error.__traceback__))
    hint = '' if debug else (f'\n({type(error).__name__}; {DEBUG_FLAG} or {DEBUG_ENV}=1 shows '
                             'the traceback)')
    return f'{head}error: {message}{hint}'


def run_tool(main: Callable[[], Any]) -> NoReturn:
    """Run a tool's ``main`` and exit the way every tool exits.

    ``--debug`` is taken off ``sys.argv`` before ``main`` parses it. ``main``'s return value
    is the exit status (None: 0).

    Args:
        main: The tool's entry point (reads ``sys.argv`` itself).
    """
    debug = debug_requested()
    if DEBUG_FLAG in sys.argv[1:]:
        sys.argv = [sys.argv[0]] + [a for a in sys.argv[1:] if a != DEBUG_FLAG]
    try:
        status = main()
    except FdkdError as error:
        _log_traceback(error)
        print(format_error(error, debug), file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        print(interrupt_message(), file=sys.stderr, flush=True)
        sys.exit(INTERRUPTED)
    sys.exit(status if isinstance(status, int) else 0)
