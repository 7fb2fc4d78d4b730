"""The commands the README promises, run as a user types them.

``python tools/train.py configs/fdkd/nyu_depth_to_rgb.py`` and
``tools/dist_train.sh configs/fdkd/nyu_depth_to_rgb.py 8`` are the project's entry points. Both
run here from the repository root on the demo's synthetic NYU-Depth V2 data with the demo's CPU
overrides (``fdkd_mm/testing/overrides.py``; one epoch of 8 images = 2 iterations) and a teacher
checkpoint that records what a depth teacher run writes, 1 and 2 CPU processes. The short
configs are checked to be their full-named experiments with a work dir of their own.
"""
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from fdkd_mm.checkpoint.metadata import MODEL_RECORD_KEY, model_record
from fdkd_mm.config.run_config import load_run_config
from fdkd_mm.testing import write_synthetic_nyu
from fdkd_mm.testing.overrides import nyu_config_cpu_overrides

REPO = Path(__file__).resolve().parents[2]
PROMISED = 'configs/fdkd/nyu_depth_to_rgb.py'
#: Short name -> (the full-named config it stands for, the teacher config of that pair).
SHORT_NAMES = {
    PROMISED: ('configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py',
               'configs/uni/uni_dlv3p-r18-depth_nyu.py'),
    'configs/fdkd/nyu_rgb_to_depth.py': ('configs/fdkd/fdkd_dlv3p-r18-rgb_dlv3p-r18-depth_nyu.py',
                                         'configs/uni/uni_dlv3p-r18-rgb_nyu.py'),
}
PROMISED_LINES = ('python tools/train.py configs/fdkd/nyu_depth_to_rgb.py',
                  'tools/dist_train.sh configs/fdkd/nyu_depth_to_rgb.py 8')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def subprocess_env() -> dict:
    """This checkout's fdkd_mm first, one thread per process (two processes share 2 cores)."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get('PYTHONPATH')) if p)
    return dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS='1', PYTHON=sys.executable,
                PORT=str(free_port()))


def save_teacher_checkpoint(distiller_cfg: Config, teacher_config: str, path: Path) -> None:
    """A randomly initialised teacher saved as its unimodal run saves it: the weights and the
    model record ``CheckpointMetaHook`` writes (the distiller checks modality and network)."""
    from fdkd_mm.registry import MODELS
    teacher = dict(distiller_cfg.model.teacher.to_dict(), pretrained=None)  # no download
    state_dict = MODELS.build(teacher).state_dict()
    record = model_record(Config.fromfile(str(REPO / teacher_config)))
    torch.save(dict(state_dict=state_dict, meta={MODEL_RECORD_KEY: record}), path)


@pytest.fixture(scope='module')
def demo_options(tmp_path_factory) -> dict:
    """The demo's overrides of the promised config on synthetic data, one epoch (2 iterations
    of batch 4), and a teacher checkpoint."""
    root = tmp_path_factory.mktemp('promised')
    data_root = write_synthetic_nyu(root / 'nyu', num_train=8, num_test=2)
    cfg = Config.fromfile(str(REPO / PROMISED))
    teacher_ckpt = root / 'uni_depth_teacher.pth'
    save_teacher_checkpoint(cfg, SHORT_NAMES[PROMISED][1], teacher_ckpt)
    options = nyu_config_cpu_overrides(cfg, str(data_root), epochs=1)
    # One checkpoint is the evidence; the best-mIoU copy would double the writes.
    options += [f'model.teacher_ckpt={teacher_ckpt}', 'default_hooks.checkpoint.save_best=None']
    return dict(root=root, options=options)


def run(command: list[str]) -> str:
    result = subprocess.run(command, cwd=REPO, env=subprocess_env(), capture_output=True,
                            text=True, timeout=400)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f'{" ".join(command[:4])} exited {result.returncode}:\n' \
                                   + output[-5000:]
    return output


def checkpoint_iterations(work_dir: Path) -> int:
    checkpoint = torch.load(work_dir / 'epoch_1.pth', map_location='cpu', weights_only=False)
    assert any(key.startswith('student.') for key in checkpoint['state_dict'])
    return checkpoint['meta']['iter']


@pytest.mark.parametrize('short', sorted(SHORT_NAMES))
def test_short_config_is_its_full_named_experiment_with_its_own_work_dir(short):
    full, _ = SHORT_NAMES[short]
    short_cfg = Config.fromfile(str(REPO / short)).to_dict()
    full_cfg = Config.fromfile(str(REPO / full)).to_dict()
    own_work_dir = f'./work_dirs/{Path(short).stem}'
    assert short_cfg.pop('work_dir') == own_work_dir
    assert short_cfg == full_cfg
    # tools/train.py without --work-dir keeps the config's work dir.
    assert load_run_config(str(REPO / short)).work_dir == own_work_dir


def test_readme_quick_start_shows_the_promised_commands():
    lines = [line.strip() for line in (REPO / 'README.md').read_text().splitlines()]
    for promised in PROMISED_LINES:
        assert promised in lines, f'README.md lacks the line {promised!r}'


def test_train_command_as_typed(demo_options):
    work_dir = demo_options['root'] / 'train'
    output = run([sys.executable, 'tools/train.py', PROMISED, '--cfg-options',
                  *demo_options['options'], f'work_dir={work_dir}'])
    assert re.search(r'loaded teacher weights from \S*uni_depth_teacher\.pth', output)
    assert checkpoint_iterations(work_dir) == 2


def test_dist_train_command_with_two_cpu_processes(demo_options):
    work_dir = demo_options['root'] / 'dist'
    output = run(['bash', 'tools/dist_train.sh', PROMISED, '2', '--cfg-options',
                  *demo_options['options'], 'train_dataloader.batch_size=2',
                  f'work_dir={work_dir}'])
    assert 'CPU distributed run: gloo, world size 2' in output
    # 8 images over 2 ranks at batch 2: 2 iterations per epoch.
    assert checkpoint_iterations(work_dir) == 2
