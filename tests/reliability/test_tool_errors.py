"""fdkd_mm.tool_errors.run_tool: one error format and exit codes for every tool, and Ctrl-C.

Before: a known error printed a full traceback (two chained ones for a misspelt type, 56
lines), and Ctrl-C a 66-line ``KeyboardInterrupt`` traceback that did not say where to resume.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from fdkd_mm.errors import (BankError, CacheError, CheckpointError, ConfigError, DataError,
                            ExportError, FdkdError, MissingDataError, TeacherError)
from fdkd_mm.tool_errors import interrupt_message, run_tool

REPO = Path(__file__).resolve().parents[2]


def run_main(main, argv, monkeypatch, env=None):
    """Run ``run_tool(main)`` with ``argv``; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, 'argv', argv)
    monkeypatch.delenv('FDKD_DEBUG', raising=False)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    try:
        run_tool(main)
    except SystemExit as stopped:
        return stopped.code
    except KeyboardInterrupt:  # would stop pytest itself
        pytest.fail('KeyboardInterrupt escaped run_tool')
    pytest.fail('run_tool returned instead of exiting')


def raising(error):
    def main():
        raise error
    return main


@pytest.mark.parametrize('error', [
    ConfigError('model.x.type: unknown type'), DataError('split empty'),
    MissingDataError('no root'), CheckpointError('truncated'), TeacherError('no teacher'),
    CacheError('stale'), BankError('stale bank'), ExportError('mismatch')])
def test_known_error_prints_one_error_line_and_exits_1(error, monkeypatch, capsys):
    code = run_main(raising(error), ['tools/x.py'], monkeypatch)
    err = capsys.readouterr().err
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0] == f'error: {error.args[0]}'
    assert len(lines) == 2 and type(error).__name__ in lines[1] and '--debug' in lines[1]
    assert 'Traceback' not in err


def test_project_errors_are_known_errors_and_keep_their_builtin():
    from fdkd_mm.checkpoint.safe_loading import CorruptCheckpointError, UnsafeCheckpointError
    from fdkd_mm.checkpoint.strict_loading import CheckpointMismatchError
    from fdkd_mm.models.distillers.validation import DistillConfigError
    from fdkd_mm.teacher_cache.manifest import TeacherCacheError
    from fdkd_mm.models.banks.teacher_bank import BankMismatchError
    from fdkd_mm.datasets.bad_samples import BadSampleError
    import pickle
    expected = {DistillConfigError: (ConfigError, ValueError),
                CheckpointMismatchError: (CheckpointError, RuntimeError),
                CorruptCheckpointError: (CheckpointError, RuntimeError),
                UnsafeCheckpointError: (CheckpointError, pickle.UnpicklingError),
                TeacherCacheError: (CacheError, ValueError),
                BankMismatchError: (BankError, ValueError),
                BadSampleError: (DataError, ValueError),
                MissingDataError: (DataError, FileNotFoundError)}
    for cls, bases in expected.items():
        assert issubclass(cls, FdkdError), cls
        for base in bases:
            assert issubclass(cls, base), (cls, base)


def test_debug_flag_shows_the_traceback_and_is_not_passed_on(monkeypatch, capsys):
    seen = {}

    def main():
        seen['argv'] = list(sys.argv)
        raise ConfigError('bad key')
    code = run_main(main, ['tools/x.py', 'cfg.py', '--debug'], monkeypatch)
    err = capsys.readouterr().err
    assert code == 1 and seen['argv'] == ['tools/x.py', 'cfg.py']
    assert 'Traceback' in err and err.strip().endswith('error: bad key')


def test_debug_environment_switch(monkeypatch, capsys):
    code = run_main(raising(DataError('x')), ['tools/x.py'], monkeypatch, {'FDKD_DEBUG': '1'})
    assert code == 1 and 'Traceback' in capsys.readouterr().err


def test_unexpected_exception_keeps_its_traceback(monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['tools/x.py'])
    with pytest.raises(ZeroDivisionError):
        run_tool(raising(ZeroDivisionError('bug')))


def test_return_value_is_the_exit_status(monkeypatch):
    assert run_main(lambda: 3, ['tools/x.py'], monkeypatch) == 3
    assert run_main(lambda: None, ['tools/x.py'], monkeypatch) == 0
    assert run_main(lambda: {'a': 1}, ['tools/x.py'], monkeypatch) == 0


def test_ctrl_c_names_the_last_checkpoint_and_the_resume_command(tmp_path, monkeypatch, capsys):
    work = tmp_path / 'work'
    work.mkdir()
    ckpt = work / 'epoch_3.pth'
    ckpt.write_bytes(b'x')
    (work / 'last_checkpoint').write_text(str(ckpt))
    from fdkd_mm.tool_errors import remember_work_dir
    remember_work_dir(str(work))
    argv = ['tools/train.py', 'configs/fdkd/nyu_depth_to_rgb.py', '--work-dir', str(work)]
    try:
        code = run_main(raising(KeyboardInterrupt()), argv, monkeypatch)
    finally:
        remember_work_dir(None)
    err = capsys.readouterr().err
    assert code == 130
    assert len(err.strip().splitlines()) == 1 and 'Traceback' not in err
    assert f'last complete checkpoint {ckpt}' in err
    assert err.strip().endswith(f'tools/train.py configs/fdkd/nyu_depth_to_rgb.py --work-dir '
                                f'{work} --resume')


def test_ctrl_c_before_any_checkpoint_and_in_other_tools(tmp_path):
    message = interrupt_message(['tools/train.py', 'c.py'], str(tmp_path))
    assert message.startswith('interrupted: no complete checkpoint yet')
    assert '--resume' not in message
    assert interrupt_message(['tools/test.py', 'c.py', 'x.pth'], str(tmp_path)) == 'interrupted'
    # A pointer to a checkpoint that is gone does not count.
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'gone.pth'))
    assert 'no complete checkpoint' in interrupt_message(['tools/train.py', 'c.py'], str(tmp_path))


def test_usage_error_exits_2():
    result = subprocess.run([sys.executable, 'tools/train.py'], cwd=REPO, capture_output=True,
                            text=True, env={'PYTHONPATH': str(REPO), 'PATH': '/usr/bin:/bin'})
    assert result.returncode == 2 and 'usage:' in result.stderr
