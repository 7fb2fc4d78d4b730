"""The toolboxes' own tools on our configs: mmseg's browse_dataset and tools/test.py
--show-dir, mmpretrain's vis_tsne, and our tools/test.py --show-dir.

They build datasets, transforms and hooks in their own scope (mmseg / mmpretrain), which works
because the configs name our types ``fdkd_mm.<Type>`` and import fdkd_mm (``custom_imports``).
Each runs as a subprocess on synthetic data in the real layouts, and its drawings are checked
against mmseg's overlay rule: ``uint8(image * (1 - alpha) + palette[label] * alpha)``.
"""
import glob
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import cv2
import mmpretrain
import mmseg
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner.checkpoint import save_checkpoint

from fdkd_mm.datasets.nyu_depth_v2 import NYU40_PALETTE
from fdkd_mm.registry import DATASETS, MODELS
from fdkd_mm.testing import write_synthetic_cremad, write_synthetic_nyu
from fdkd_mm.testing.overrides import nyu_cpu_overrides

REPO = Path(__file__).resolve().parents[2]
MMSEG_TOOLS = Path(mmseg.__file__).parent / '.mim' / 'tools'
MMPRETRAIN_TOOLS = Path(mmpretrain.__file__).parent / '.mim' / 'tools'
# Runs a shipped tool unchanged, patching two incompatibilities of the stack (not ours).
SHIMMED = Path(__file__).parent / 'run_toolbox_tool.py'
PALETTE = np.asarray(NYU40_PALETTE, dtype=np.uint8)
ALPHA = 0.8  # SegLocalVisualizer's default, kept by configs/_base_/datasets/nyu_rgbd.py


def run(args: list, cwd=REPO) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO),
                                                       os.environ.get('PYTHONPATH', '')]))
    result = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                            cwd=cwd, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result


def rgb(path) -> np.ndarray:
    return cv2.imread(str(path))[..., ::-1]


def labels_of(root: Path, split: str, sample_id: str) -> np.ndarray:
    """NYU labels as mmseg loads them with reduce_zero_label: void 0 -> 255, 1..40 -> 0..39."""
    raw = cv2.imread(str(root / split / 'labels_40' / f'{sample_id}.png'), cv2.IMREAD_UNCHANGED)
    return np.where(raw == 0, 255, raw.astype(np.int64) - 1)


def overlay(image: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """mmseg's drawing of a label map over an image (labels >= 40 are not drawn)."""
    mask = np.zeros_like(image)
    drawn = labels < len(PALETTE)
    mask[drawn] = PALETTE[labels[drawn]]
    return (image * (1 - ALPHA) + mask * ALPHA).astype(np.uint8)


def mostly_equal(a: np.ndarray, b: np.ndarray, fraction: float = 0.85) -> bool:
    """Equal at ``fraction`` of the pixels: the rest carry the class names mmseg writes."""
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a == b).all(axis=-1).mean() >= fraction


@pytest.fixture(scope='module')
def nyu_root(tmp_path_factory) -> Path:
    return write_synthetic_nyu(tmp_path_factory.mktemp('nyu') / 'nyu', num_train=2, num_test=2,
                               height=48, width=64, num_classes=6)


def test_mmseg_browse_dataset_draws_the_nyu_training_labels(nyu_root, tmp_path):
    out = tmp_path / 'browse'
    # Geometry made the identity (scale 1, full crop, no flip); the photometric distortion
    # stays random, so only the label colours are known: each pixel is
    # 0.8 * palette[label] + 0.2 * (some image value), i.e. within [0, 51] above 0.8 * palette.
    run([SHIMMED, MMSEG_TOOLS / 'analysis_tools' / 'browse_dataset.py',
         'configs/uni/uni_dlv3p-r18-rgb_nyu.py', '--output-dir', out, '--not-show',
         '--cfg-options', f'train_dataloader.dataset.data_root={nyu_root}',
         'train_dataloader.dataset.pipeline.3.scale=(64,48)',
         'train_dataloader.dataset.pipeline.3.ratio_range=(1.0,1.0)',
         'train_dataloader.dataset.pipeline.4.crop_size=(48,64)',
         'train_dataloader.dataset.pipeline.5.prob=0.0'])
    assert sorted(os.listdir(out)) == ['0001.png', '0002.png']
    for sample_id in ('0001', '0002'):
        drawn = rgb(out / f'{sample_id}.png').astype(np.int64)
        labels = labels_of(nyu_root, 'train', sample_id)
        floor = np.zeros_like(drawn)
        floor[labels < 40] = (PALETTE[labels[labels < 40]] * ALPHA).astype(np.int64)
        within = ((drawn >= floor - 1) & (drawn <= floor + 52)).all(axis=-1)
        assert drawn.shape == (48, 64, 3) and within.mean() >= 0.85


def seg_checkpoint(cfg: Config, path: Path, model_key: str = 'model') -> torch.nn.Module:
    """Build ``cfg.<model_key>`` offline, move its weights off the init, save it."""
    model_cfg = cfg[model_key]
    for sub in ('student', 'teacher') if 'student' in model_cfg else (None, ):
        node = model_cfg[sub] if sub else model_cfg
        node.pretrained = None
    model_cfg.pop('teacher_ckpt', None)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg).eval()
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.add_(torch.rand_like(tensor) * 0.2)
    save_checkpoint(dict(state_dict=model.state_dict(), meta={}), str(path))
    return model


def predictions(model, cfg: Config, root: Path) -> dict:
    """``{sample id: predicted label map}`` of the config's test set, computed here."""
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.data_root = str(root)
    dataset = DATASETS.build(dataset_cfg)
    out = {}
    for index in range(len(dataset)):
        with torch.no_grad():
            pred = model.test_step(pseudo_collate([dataset[index]]))[0]
        out[osp.basename(pred.img_path)[:-4]] = pred.pred_sem_seg.data[0].numpy()
    return out


def check_overlays(show_dir: Path, root: Path, expected: dict) -> None:
    """Ground truth left, prediction right, each over the sample's RGB image."""
    for sample_id, pred in expected.items():
        files = glob.glob(str(show_dir / '**' / f'test_{sample_id}.png*.png'), recursive=True)
        assert len(files) == 1, (sample_id, os.listdir(show_dir))
        drawn = rgb(files[0])
        image = rgb(root / 'test' / 'rgb' / f'{sample_id}.png')
        assert drawn.shape == (48, 128, 3)
        assert mostly_equal(drawn[:, :64], overlay(image, labels_of(root, 'test', sample_id)))
        assert mostly_equal(drawn[:, 64:], overlay(image, pred))


def test_our_test_tool_draws_distiller_predictions_with_show_dir(nyu_root, tmp_path):
    config = 'configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py'
    cfg = Config.fromfile(config)
    model = seg_checkpoint(cfg, tmp_path / 'distiller.pth')
    expected = predictions(model, cfg, nyu_root)
    options = nyu_cpu_overrides(str(nyu_root), 1, ['model.student', 'model.teacher'],
                                crop=(48, 64))
    run(['tools/test.py', config, tmp_path / 'distiller.pth', '--work-dir', tmp_path / 'work',
         '--show-dir', tmp_path / 'show', '--cfg-options', *options])
    check_overlays(tmp_path / 'show', nyu_root, expected)


def test_mmseg_test_tool_show_dir_works_on_our_unimodal_config(nyu_root, tmp_path):
    config = 'configs/uni/uni_dlv3p-r18-rgb_nyu.py'
    cfg = Config.fromfile(config)
    model = seg_checkpoint(cfg, tmp_path / 'rgb.pth')
    expected = predictions(model, cfg, nyu_root)
    options = nyu_cpu_overrides(str(nyu_root), 1, ['model'], crop=(48, 64))
    run([MMSEG_TOOLS / 'test.py', config, tmp_path / 'rgb.pth', '--work-dir', tmp_path / 'w',
         '--show-dir', tmp_path / 'show', '--cfg-options', *options,
         'default_hooks.visualization.interval=1'])
    check_overlays(tmp_path / 'show', nyu_root, expected)


def test_mmpretrain_vis_tsne_embeds_cremad_audio_features(tmp_path):
    root = tmp_path / 'cremad'
    write_synthetic_cremad(str(root), clips_per_class=(1, 2), duration=0.5, frames_per_clip=1)
    config = 'configs/uni/uni_r18-audio_cremad.py'
    cfg = Config.fromfile(config)
    cfg.test_dataloader.dataset.data_root = str(root)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    save_checkpoint(dict(state_dict=model.state_dict(), meta={}), str(tmp_path / 'audio.pth'))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    with torch.no_grad():
        batch = model.data_preprocessor(pseudo_collate([dataset[i] for i in range(12)]))
        expected = model.extract_feat(batch['inputs'])[0].numpy()  # the neck's (12, 512)

    run([SHIMMED, MMPRETRAIN_TOOLS / 'visualization' / 'vis_tsne.py', config, '--checkpoint',
         tmp_path / 'audio.pth', '--work-dir', tmp_path / 'tsne', '--device', 'cpu',
         '--perplexity', '3', '--n-iter', '250', '--cfg-options',
         f'test_dataloader.dataset.data_root={root}', 'test_dataloader.num_workers=0',
         'test_dataloader.persistent_workers=False'])
    (run_dir, ) = glob.glob(str(tmp_path / 'tsne' / 'tsne_*'))
    np.testing.assert_allclose(np.load(osp.join(run_dir, 'feat_3.npy')), expected,
                               rtol=1e-4, atol=1e-5)
    assert cv2.imread(osp.join(run_dir, 'feat_3.png')) is not None
