"""The multimodal-teacher ("MM -> m") configs (CREMA-D, AVE, RAVDESS, AV-MNIST, NYU) and the
RAVDESS and AV-MNIST configs: the MM cells are the experiments their names say, and a sample
of all trains two iterations on synthetic data in the real layouts (the fusion teacher frozen,
or trained as its own run)."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from tiny_runs import REPO, distill_keys, tiny_config, train

MM_CONFIGS = sorted((REPO / 'configs' / 'mm').glob('*.py'))
METHODS = ('kd', 'dist', 'dml', 'nkd', 'dkd', 'feat', 'pkd', 'ofd', 'afd', 'c2kd', 'fdkd')
NUM_CLASSES = dict(cremad=6, ave=28, ravdess=8)


def test_every_mm_cell_exists_for_both_students_and_datasets():
    expected = {f'{m}_fusion-r18-av_r18-{s}_{d}' for m in METHODS for s in ('audio', 'visual')
                for d in ('cremad', 'ave', 'ravdess')}
    expected |= {f'uni_fusion-r18-av_{d}' for d in ('cremad', 'ave', 'ravdess')}
    expected |= {f'{m}_dlv3p-r18-rgbd_dlv3p-r18-{s}_nyu' for m in METHODS
                 for s in ('rgb', 'depth')} | {'uni_dlv3p-r18-rgbd_nyu'}
    expected |= {f'{m}_fusion-r18-ia_r18-{s}_avmnist' for m in METHODS
                 for s in ('image', 'audio')} | {'uni_fusion-r18-ia_avmnist'}
    assert {p.stem for p in MM_CONFIGS} == expected


@pytest.mark.parametrize('path', [p for p in MM_CONFIGS if not p.stem.startswith('uni')
                                  and 'fusion-r18-av' in p.stem], ids=lambda p: p.stem)
def test_mm_cell_reads_both_modalities_from_its_fusion_teacher(path):
    cfg = Config.fromfile(str(path))
    method, _, student, dataset = path.stem.split('_')
    model = cfg.model
    assert list(model.teacher_input) == ['audio', 'visual']
    assert model.student_input == student.split('-')[1]
    assert model.teacher.type == 'fdkd_mm.FusionClassifier'
    assert model.teacher.head.num_classes == NUM_CLASSES[dataset]
    # The teacher is the fusion model's own run, at its last checkpoint; DML / C2KD train it.
    uni = Config.fromfile(str(REPO / 'configs' / 'mm' / f'uni_fusion-r18-av_{dataset}.py'))
    assert model.teacher.to_dict() == uni.model.to_dict()
    if method == 'dml':
        assert model.teacher_trainable and model.teacher_ckpt is None
    else:
        assert model.teacher_ckpt == f'work_dirs/uni_fusion-r18-av_{dataset}/epoch_100.pth'
        assert model.teacher_trainable == (method == 'c2kd')
    # Feature methods compare at the fused width; the student's feature is projected to it.
    assert model.teacher_recorders.feat == dict(path='fusion')
    assert model.connectors.student_feat.out_channels == 1024
    if method == 'fdkd':
        assert model.distill_losses.loss_fd.in_channels == 1024


class StateWatch(Hook):
    """A network's state before and after training, and its modules' modes after; the
    network is the distiller's teacher, or the trained model itself (``teacher=False``)."""

    def __init__(self, teacher: bool = True) -> None:
        self.of_teacher = teacher

    def network(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return model.teacher if self.of_teacher else model

    def before_train(self, runner) -> None:
        self.before = {k: v.clone() for k, v in self.network(runner).state_dict().items()}

    def after_train(self, runner) -> None:
        network = self.network(runner)
        self.after = {k: v.clone() for k, v in network.state_dict().items()}
        self.training = [m.training for m in network.modules()]

    def changed(self) -> list:
        return [k for k, v in self.after.items() if not torch.equal(v, self.before[k])]


@pytest.mark.parametrize('config', ['configs/mm/uni_fusion-r18-av_cremad.py',
                                    'configs/uni/uni_r18-audio_ravdess.py',
                                    'configs/mm/uni_dlv3p-r18-rgbd_nyu.py'])
def test_uni_runs_train_two_iterations(config, data_roots, tokenizer_dir, tmp_path):
    watch = StateWatch(teacher=False)
    runner, records = train(tiny_config(config, data_roots, tokenizer_dir, tmp_path / 'w'),
                            hooks=[watch])
    assert all('loss' in r for r in records)
    if 'fusion' in config:  # both branches and the head learnt from the one loss
        model = runner.model
        assert type(model).__name__ == 'FusionClassifier'
        assert model.fusion.out_channels == model.head.fc.in_features == 2 * 64  # 2 x tiny
        for part in ('backbones.audio.', 'backbones.visual.', 'head.fc.'):
            assert any(k.startswith(part) and 'running' not in k for k in watch.changed()), part


DISTILL_KEYS = {
    'kd': {'distill.loss_kd'}, 'ofd': {'distill.loss_ofd'}, 'afd': {'distill.loss_afd', 'distill.loss_kd'},
    'dml': {'distill.loss_dml.loss_kl_student', 'distill.loss_dml.loss_kl_teacher'},
    'c2kd': {'distill.loss_c2kd.loss_student_proxy', 'distill.loss_c2kd.loss_teacher_proxy',
             'distill.loss_c2kd.loss_proxy_distill'},
    'fdkd': {'distill.loss_low', 'distill.loss_high', 'align.loss_low_student',
             'align.loss_low_teacher', 'align.loss_high_student', 'align.loss_high_teacher',
             'aux.loss_low', 'aux.loss_high'},
}


@pytest.mark.parametrize('config, method', [
    ('configs/mm/fdkd_fusion-r18-av_r18-visual_cremad.py', 'fdkd'),
    ('configs/mm/kd_fusion-r18-av_r18-audio_ave.py', 'kd'),
    ('configs/mm/afd_fusion-r18-av_r18-visual_ave.py', 'afd'),
    ('configs/mm/dml_fusion-r18-av_r18-audio_cremad.py', 'dml'),
    ('configs/mm/ofd_fusion-r18-av_r18-visual_ravdess.py', 'ofd'),
    ('configs/mm/fdkd_dlv3p-r18-rgbd_dlv3p-r18-rgb_nyu.py', 'fdkd'),
    ('configs/mm/kd_dlv3p-r18-rgbd_dlv3p-r18-depth_nyu.py', 'kd'),
    ('configs/fdkd/fdkd_r18-audio_r18-visual_ravdess.py', 'fdkd'),
    ('configs/c2kd/c2kd_r18-visual_r18-audio_ravdess.py', 'c2kd'),
])
def test_cells_train_two_iterations(config, method, data_roots, tokenizer_dir, tmp_path):
    watch = StateWatch()
    _, records = train(tiny_config(config, data_roots, tokenizer_dir, tmp_path / 'w'),
                       hooks=[watch])
    trainable = method in ('dml', 'c2kd')
    for record in records:
        assert distill_keys(record) == DISTILL_KEYS[method], record
        assert any(k.startswith('teacher.') for k in record) == trainable
    changed = watch.changed()
    if trainable:
        assert any('backbones.' in k or 'backbone.' in k for k in changed)
    else:  # frozen: weights and BN statistics unchanged, always in eval mode
        assert not changed, changed[:5]
        assert not any(watch.training)


AVMNIST = dict(overrides={'train_dataloader.dataset.val_size': 2})  # 12 synthetic pairs


@pytest.mark.parametrize('config, method', [
    ('configs/uni/uni_r18-image_avmnist.py', None),
    ('configs/mm/uni_fusion-r18-ia_avmnist.py', None),
    ('configs/mm/fdkd_fusion-r18-ia_r18-audio_avmnist.py', 'fdkd'),
    ('configs/mm/c2kd_fusion-r18-ia_r18-image_avmnist.py', 'c2kd'),
    ('configs/fdkd/fdkd_r18-image_r18-audio_avmnist.py', 'fdkd'),
    ('configs/kd/kd_r18-audio_r18-image_avmnist.py', 'kd'),
])
def test_avmnist_trains_two_iterations(config, method, data_roots, tokenizer_dir, tmp_path):
    cfg = tiny_config(config, data_roots, tokenizer_dir, tmp_path / 'w', **AVMNIST)
    watch = StateWatch(teacher=method is not None)
    _, records = train(cfg, hooks=[watch])
    if method is None:
        assert all('loss' in r for r in records)
        return
    for record in records:
        assert distill_keys(record) == DISTILL_KEYS[method], record
    if method == 'c2kd':  # trains its teacher
        assert any('backbones.' in k for k in watch.changed())
    else:
        assert not watch.changed() and not any(watch.training)


def test_avmnist_mm_cells_read_image_and_audio():
    for path in (p for p in MM_CONFIGS if 'fusion-r18-ia' in p.stem and 'uni' not in p.stem):
        model = Config.fromfile(str(path)).model
        student = path.stem.split('_')[2].split('-')[1]
        assert list(model.teacher_input) == ['image', 'audio'] and model.student_input == student
        other = 'audio' if student == 'image' else 'image'
        assert model.teacher_recorders.stage4.path == f'backbones.{other}.layer4'


def test_nyu_mm_cells_read_the_stacked_rgbd_map():
    for path in (p for p in MM_CONFIGS if 'rgbd_dlv3p' in p.stem):
        model = Config.fromfile(str(path)).model
        assert model.teacher_input == 'rgbd' and model.student_input in ('rgb', 'depth')
        uni = Config.fromfile(str(REPO / 'configs/mm/uni_dlv3p-r18-rgbd_nyu.py')).model
        assert model.teacher.to_dict() == uni.to_dict(), path.stem
        assert model.teacher.backbone.in_channels == 4
        assert len(model.teacher.data_preprocessor.mean) == 4
