"""The GPU kit on CPU: its pins and manifest, the checks' isolation, run_checks.sh end to end.

No network: the manifest is made from fake wheel files, and the end-to-end run installs from a
fake kit whose pins are the versions already installed here (so pip installs nothing, as on a
GPU machine where the kit's wheels fill in what the image lacks).
"""
import argparse
import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GPU_TOOLS = REPO / 'tools' / 'gpu'
sys.path.insert(0, str(GPU_TOOLS))

import checks  # noqa: E402
import kit_manifest  # noqa: E402

#: The kit's exact contents: tools/gpu/prepare_wheels.sh --list.
EXPECTED_PINS = [
    'wheel mmengine==0.10.7', 'wheel mmsegmentation==1.2.2', 'wheel mmpretrain==1.2.0',
    'wheel addict==2.4.0', 'wheel termcolor==3.3.0', 'wheel yapf==0.43.0',
    'wheel platformdirs==4.14.9', 'wheel prettytable==3.19.0', 'wheel ftfy==6.3.1',
    'wheel wcwidth==0.9.5', 'wheel importlib-metadata==10.2.0', 'wheel lazy-importer==0.1.0',
    'wheel modelindex==0.0.2', 'wheel model-index==0.1.11', 'wheel ordered-set==4.1.0',
    'wheel mat4py==0.6.0', 'wheel PyWavelets==1.9.0', 'wheel setuptools==80.10.2',
    'sdist mmcv==2.1.0']


def kit_pins() -> list[tuple[str, str, str]]:
    """(kind, name, version) of every pin, as prepare_wheels.sh --list prints them."""
    out = subprocess.run(['bash', 'tools/gpu/prepare_wheels.sh', '--list'], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == EXPECTED_PINS
    pins = [line.split() for line in out.splitlines()]
    return [(kind, *pin.split('==')) for kind, pin in pins]


def fake_file(folder: Path, kind: str, name: str, version: str, tag: str) -> Path:
    """A file named as pip saves a wheel / sdist (its contents are never read by pip here)."""
    stem = f"{name.replace('-', '_')}-{version}"
    path = folder / (f'{stem}-{tag}.whl' if kind == 'wheel' else f'{name}-{version}.tar.gz')
    path.write_bytes(f'not a real {name} {version}'.encode())
    return path


def test_manifest_of_a_kit_of_fake_wheels(tmp_path):
    kit = tmp_path / 'kit'
    kit.mkdir()
    for kind, name, version in kit_pins():
        tag = 'cp312-cp312-manylinux_2_28_x86_64' if name == 'PyWavelets' else 'py3-none-any'
        fake_file(kit, kind, name, version, tag)
    (kit / 'notes.txt').write_text('not a distribution')
    (kit / 'built').mkdir()  # mmcv wheels built on a GPU machine: not part of the manifest
    pins = [str(GPU_TOOLS / 'kit_wheels.txt'), str(GPU_TOOLS / 'kit_sdists.txt')]
    assert kit_manifest.main(['write', str(kit), '--expect', *pins, '--max-mib', '1']) == 0

    manifest = json.loads((kit / 'MANIFEST.json').read_text())
    assert manifest['format'] == 1 and 'created' in manifest
    entries = manifest['packages']
    assert [e['name'] for e in entries] == sorted(e['name'] for e in entries)
    assert {(e['kind'], e['name'], e['version']) for e in entries} == {
        (kind, kit_manifest.normalize(name), version) for kind, name, version in kit_pins()}
    assert manifest['total_bytes'] == sum(e['bytes'] for e in entries)
    mmcv = next(e for e in entries if e['name'] == 'mmcv')
    assert mmcv == dict(name='mmcv', version='2.1.0', kind='sdist', file='mmcv-2.1.0.tar.gz',
                        bytes=(kit / 'mmcv-2.1.0.tar.gz').stat().st_size,
                        sha256=hashlib.sha256((kit / 'mmcv-2.1.0.tar.gz').read_bytes())
                        .hexdigest())
    assert kit_manifest.main(['check', str(kit)]) == 0

    # What run_checks.sh installs: the wheels' pins, normalised names.
    listed = subprocess.run([sys.executable, 'tools/gpu/kit_manifest.py', 'pins', str(kit),
                             '--kind', 'wheel'], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.split()
    assert 'pywavelets==1.9.0' in listed and 'mmcv==2.1.0' not in listed and len(listed) == 18

    # A changed file, a second version of a package and a size limit are refused.
    (kit / 'addict-2.4.0-py3-none-any.whl').write_bytes(b'changed')
    assert kit_manifest.main(['check', str(kit)]) == 1
    fake_file(kit, 'wheel', 'addict', '2.5.0', 'py3-none-any')
    with pytest.raises(ValueError, match='two files of addict'):
        kit_manifest.write_manifest(str(kit))
    (kit / 'addict-2.5.0-py3-none-any.whl').unlink()
    (kit / 'termcolor-3.3.0-py3-none-any.whl').unlink()
    assert kit_manifest.main(['write', str(kit), '--expect', *pins]) == 1  # missing
    assert kit_manifest.main(['write', str(kit), '--max-mib', '0.00001']) == 1


def test_filename_parsing():
    assert kit_manifest.parse_filename('model_index-0.1.11-py3-none-any.whl') == (
        'model-index', '0.1.11', 'wheel')
    assert kit_manifest.parse_filename('mmcv-2.1.0.tar.gz') == ('mmcv', '2.1.0', 'sdist')
    assert kit_manifest.parse_filename('MANIFEST.json') is None


# ------------------------------------------------------------------------- isolation
FAKE_SECTIONS = {
    'fake_ok': 'def run(ctx):\n    ctx.result.put("value", 1.5)\n',
    'fake_raise': ('def run(ctx):\n    ctx.result.put("partial", 2.0)\n'
                   '    raise RuntimeError("planted failure")\n'),
    # Stops its work at its own deadline: a timeout, not an error.
    'fake_late': ('from common import TimeLimit\n'
                  'def run(ctx):\n    ctx.result.put("partial", 4.0)\n'
                  '    raise TimeLimit("planted deadline")\n'),
    # Starts a child of its own, then hangs: the time limit must stop both.
    'fake_hang': ('import subprocess, time\n'
                  'def run(ctx):\n'
                  '    child = subprocess.Popen(["sleep", "120"])\n'
                  '    ctx.result.put("child_pid", child.pid)\n'
                  '    time.sleep(120)\n'),
}


def running(pid: int) -> bool:
    try:
        state = Path(f'/proc/{pid}/status').read_text()
    except FileNotFoundError:
        return False
    return '\nState:\tZ' not in state


def test_a_failing_or_hanging_section_leaves_the_others(tmp_path, monkeypatch):
    modules = tmp_path / 'modules'
    modules.mkdir()
    for name, text in FAKE_SECTIONS.items():
        (modules / f'{name}.py').write_text(text)
    monkeypatch.setenv('PYTHONPATH', str(modules))
    # Weights giving the hanging section about 6 s of the 50.
    sections = [checks.Section('first', 'fake_ok', 2, 'ok', min_s=0),
                checks.Section('raises', 'fake_raise', 2, 'raises', min_s=0),
                checks.Section('late', 'fake_late', 2, 'stops at its deadline', min_s=0),
                checks.Section('hangs', 'fake_hang', 1, 'hangs', min_s=0),
                checks.Section('last', 'fake_ok', 5, 'ok after the others', min_s=0)]
    args = argparse.Namespace(out=str(tmp_path / 'out'), budget=50, cpu=True, quick=True,
                              sections=None, install=None, workdir=str(tmp_path / 'work'))
    start = time.time()
    report = checks.orchestrate(args, sections)
    assert time.time() - start < 30
    written = json.loads((tmp_path / 'out' / 'report.json').read_text())
    assert written['sections'] == report['sections']
    got = report['sections']
    assert got['first']['status'] == 'ok' and got['first']['result'] == {'value': 1.5}
    assert got['raises']['status'] == 'error'
    assert got['raises']['result'] == {'partial': 2.0}  # what it wrote before failing
    assert 'planted failure' in got['raises']['error']
    assert got['late']['status'] == 'timeout' and 'planted deadline' in got['late']['error']
    assert got['late']['result'] == {'partial': 4.0, 'time_limit': 'planted deadline'}
    assert got['hangs']['status'] == 'timeout' and 'stopped after' in got['hangs']['error']
    assert not running(got['hangs']['result']['child_pid'])  # its process group was stopped
    assert got['last']['status'] == 'ok' and got['last']['result'] == {'value': 1.5}
    markdown = (tmp_path / 'out' / 'report.md').read_text()
    assert '## raises: raises (error)' in markdown and 'planted failure' in markdown


def test_share_gives_unused_time_to_later_sections():
    assert checks.share(100, [1, 1, 2]) == 25
    assert checks.share(100, [1, 9], min_s=30) == 30
    assert checks.share(20, [1, 9], min_s=30) == 20


# ------------------------------------------------------------------------ end to end
def installed_kit(folder: Path) -> Path:
    """A kit whose wheel pins are the versions installed here (files never opened by pip)."""
    folder.mkdir()
    for kind, name, _ in kit_pins():
        try:
            version = '2.1.0' if kind == 'sdist' else importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed here: nothing to pin it to
        fake_file(folder, kind, name, version, 'py3-none-any')
    assert kit_manifest.main(['write', str(folder)]) == 0
    return folder


def test_run_checks_cpu_quick_end_to_end(tmp_path):
    kit = installed_kit(tmp_path / 'kit')
    out = tmp_path / 'out'
    env = {k: v for k, v in os.environ.items() if k != 'OUT'}
    env['TMPDIR'] = str(tmp_path)
    # The default budget: every section finishes on an idle 2-core machine in about two
    # minutes; on a loaded one later sections may run out of time, which the report records
    # (a crash still fails the test below).
    result = subprocess.run(
        ['bash', 'tools/gpu/run_checks.sh', '--cpu', '--quick', '--kit', str(kit),
         '--python', sys.executable, '--venv', str(tmp_path / 'venv'), '--out', str(out),
         '--budget', '480'], cwd=REPO, env=env, capture_output=True, text=True, timeout=560)
    log = result.stdout[-6000:] + result.stderr[-3000:]
    report = json.loads((out / 'report.json').read_text())
    assert report['install']['status'] == 'ok', log
    assert 'installed: none' in report['install']['pip']
    assert report['install']['mmcv'] == 'already importable with ops'
    assert (out / 'report.md').exists() and (out / 'run_checks.log').exists()
    sections = report['sections']
    assert list(sections) == [s.name for s in checks.SECTIONS]
    for name, record in sections.items():
        assert record['status'] in ('ok', 'timeout', 'skipped'), (name, record.get('error'))
        if record['status'] != 'ok':
            assert record['error'], name  # a time limit is recorded, with the output's end
    assert result.returncode == (0 if all(r['status'] == 'ok' for r in sections.values())
                                 else 1)

    def ok(name):
        return sections[name]['result'] if sections[name]['status'] == 'ok' else None

    if ok('env'):
        assert ok('env')['cuda_available'] is False and ok('env')['mmcv_ops'] is True
    if ok('amp_loss'):
        assert ok('amp_loss')['passed'] is True
    if ok('step'):
        for pair in ('nyu', 'cremad', 'crisismmd'):
            timed = ok('step')['pairs'][pair]
            assert timed['status'] == 'done' and timed['rounds'] == 2
            assert timed['times']['c_bf16']['median_s'] > 0
            assert timed['ratios']['fp32']['paired']['c/b'] > 0
        assert 'f_fp32' not in ok('step')['pairs']['nyu']['times']
        assert ok('step')['pairs']['cremad']['ratios']['bf16']['paired']['f/a'] > 0
    if ok('ddp'):
        assert ok('ddp')['returncode'] == 0 and ok('ddp')['backend'] == 'gloo'
        assert len(ok('ddp')['losses']) >= 1
    if ok('curve'):  # two CPU runs of one seed: the same losses exactly
        assert ok('curve')['passed'] is True and ok('curve')['max_diff'] == 0
    if ok('data'):
        for dataset in ok('data')['datasets'].values():
            assert dataset['all_cores']['samples_per_s'] > 0
    markdown = (out / 'report.md').read_text()
    assert all(f'## {name}:' in markdown for name in sections)
