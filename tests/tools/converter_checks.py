"""Helpers of the dataset-converter tests: load a converter, inspect outputs, train briefly."""
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from scipy.io import wavfile

from fdkd_mm.testing.synthetic_video import read_frame_code

REPO = Path(__file__).resolve().parents[2]
BASE = 8  # ResNet base width of the training checks


def load_converter(name: str):
    """Import ``tools/dataset_converters/<name>.py`` (registered, so dataclasses work)."""
    module_name = f'converter_{name}'
    spec = importlib.util.spec_from_file_location(
        module_name, REPO / 'tools' / 'dataset_converters' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def frame_codes(frame_dir: Path) -> list[int]:
    """The source frame index each JPEG of a frame folder shows, in file-name order."""
    names = sorted(path.name for path in frame_dir.iterdir())
    assert names == [f'frame_{i:05d}.jpg' for i in range(1, len(names) + 1)], names
    return [read_frame_code(cv2.imread(str(frame_dir / name))[..., ::-1]) for name in names]


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    rate, samples = wavfile.read(path)
    assert samples.dtype == np.int16 and samples.ndim == 1, (samples.dtype, samples.shape)
    return rate, samples


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.argmax(spectrum) * rate / len(samples))


def snapshot(root: Path) -> dict:
    """Every file under ``root`` with its (inode, mtime): to tell rewritten files from kept."""
    return {str(path.relative_to(root)): (path.stat().st_ino, path.stat().st_mtime_ns)
            for path in sorted(root.rglob('*')) if path.is_file()}


class LossRecorder(Hook):
    """Keeps the loss of every training iteration."""

    def __init__(self) -> None:
        self.losses = []

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.losses.append(float(torch.as_tensor(outputs['loss']).detach()))


def train_two_iterations(config: str, data_root: Path, work_dir: Path,
                         modality: str) -> list[float]:
    """Train ``config`` on ``data_root`` for 2 iterations (narrow ResNet, 32-pixel frames).

    Only sizes, paths and the loop length are overridden; pipelines and the dataset are the
    config's own.

    Returns:
        The two logged losses.
    """
    cfg = Config.fromfile(str(REPO / config))
    loader = cfg.train_dataloader
    # Batches of 2 (BatchNorm needs more than one sample), every batch full.
    loader.update(batch_size=2, num_workers=0, persistent_workers=False, drop_last=True)
    loader.dataset.data_root = str(data_root)
    for transform in loader.dataset.pipeline:
        if transform['type'] in ('FramesRandomResizedCrop', 'FramesResize'):
            transform['scale'] = 32
    resnet = cfg.model.backbone.backbone if modality == 'visual' else cfg.model.backbone
    resnet.update(base_channels=BASE, stem_channels=BASE)
    cfg.model.head.in_channels = BASE * 8
    cfg.merge_from_dict(dict(env_cfg=dict(cudnn_benchmark=False)))
    cfg.train_cfg = dict(by_epoch=False, max_iters=2)
    cfg.param_scheduler = None
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'converter_{work_dir.name}_{time.time_ns()}'
    runner = Runner.from_cfg(cfg)
    recorder = LossRecorder()
    runner.register_hook(recorder, 'LOW')
    runner.train()
    losses = recorder.losses
    assert runner.iter == 2 and len(losses) == 2, (runner.iter, losses)
    assert all(np.isfinite(losses)) and all(loss > 0 for loss in losses), losses
    return losses


KILLER = '''
import os, signal, sys
import fdkd_mm.datasets.conversion.outputs as outputs
sys.path.insert(0, {tests!r})
from converter_checks import load_converter
real, calls = outputs.write_atomic, []

def write_atomic(final, write, is_dir=False):
    calls.append(final)
    if len(calls) == {kill_at}:  # this output is written in full, then the process dies
        inner = write
        def write(tmp):
            inner(tmp)
            os.kill(os.getpid(), signal.SIGKILL)
    return real(final, write, is_dir)

outputs.write_atomic = write_atomic
sys.exit(load_converter({name!r}).main({argv!r}))
'''


def run_killed(name: str, argv: list[str], kill_at: int) -> subprocess.CompletedProcess:
    """Run converter ``name`` and SIGKILL it while it writes its ``kill_at``-th output."""
    code = KILLER.format(tests=str(Path(__file__).resolve().parent), kill_at=kill_at, name=name,
                         argv=argv)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, '-c', code], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
