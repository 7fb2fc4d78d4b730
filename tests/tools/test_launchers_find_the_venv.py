"""The shell launchers and the README run without an activated environment.

Before: ``tools/dist_train.sh`` called a bare ``python`` (``No module named torch`` without an
activated venv), and the README's ``python tools/...`` lines relied on an activation said only
in the set-up script's last log line.
"""
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: launcher -> its arguments, and the fake binaries it needs besides python.
LAUNCHERS = {
    'dist_train.sh': (['cfg.py', '2'], []),
    'dist_test.sh': (['cfg.py', 'ckpt.pth', '2'], []),
    'slurm_train.sh': (['part', 'job', 'cfg.py', 'work'], ['srun']),
}


def fake_repo(tmp_path: Path, launcher: str, with_venv: bool) -> tuple:
    """A copy of the launcher in ``<tmp>/repo/tools`` and, optionally, a ``.venv/bin/python``
    that records that it ran; a ``bin/`` with a ``python`` (and ``srun``) that record too."""
    repo = tmp_path / 'repo'
    (repo / 'tools').mkdir(parents=True)
    shutil.copy(REPO / 'tools' / launcher, repo / 'tools' / launcher)
    log = tmp_path / 'calls.log'
    binaries = [('bin', 'python'), ('bin', 'srun')]
    if with_venv:
        binaries.append(('repo/.venv/bin', 'python'))
    for folder, name in binaries:
        path = tmp_path / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name == 'srun':  # drop srun's own options, run the interpreter it is given
            body = ('while [ $# -gt 0 ]; do case "$1" in *python) break;; esac; shift; done\n'
                    'exec "$@"\n')
        else:
            body = f'echo "{folder}/{name}" >> {log}\n'
        path.write_text('#!/bin/sh\n' + body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return repo, log


def run(repo: Path, tmp_path: Path, launcher: str, extra_env: dict) -> str:
    args, _ = LAUNCHERS[launcher]
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHON', 'VIRTUAL_ENV')}
    env.update(PATH=f'{tmp_path / "bin"}:/usr/bin:/bin', **extra_env)
    result = subprocess.run(['bash', str(repo / 'tools' / launcher), *args], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return (tmp_path / 'calls.log').read_text()


@pytest.mark.parametrize('launcher', sorted(LAUNCHERS))
def test_launcher_uses_the_project_venv(launcher, tmp_path):
    repo, _ = fake_repo(tmp_path, launcher, with_venv=True)
    assert run(repo, tmp_path, launcher, {}).split()[-1] == 'repo/.venv/bin/python'


@pytest.mark.parametrize('launcher', sorted(LAUNCHERS))
def test_launcher_without_venv_or_with_one_active_uses_python(launcher, tmp_path):
    repo, _ = fake_repo(tmp_path, launcher, with_venv=False)
    assert run(repo, tmp_path, launcher, {}).split()[-1] == 'bin/python'
    repo, log = fake_repo(tmp_path / 'active', launcher, with_venv=True)
    # An activated environment (or PYTHON) wins over the project's .venv.
    assert run(repo, tmp_path / 'active', launcher,
               {'VIRTUAL_ENV': '/some/env'}).split()[-1] == 'bin/python'


def test_readme_says_to_activate_before_its_first_bare_python_command():
    lines = (REPO / 'README.md').read_text().splitlines()
    first_python = next(i for i, line in enumerate(lines)
                        if 'python tools/' in line and '.venv/bin/python' not in line)
    before = '\n'.join(lines[:first_python])
    assert 'source .venv/bin/activate' in before, 'the README activates the venv too late'
