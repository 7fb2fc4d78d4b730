"""MST-Distill's three stage cells chained on tiny networks: two iterations each, every stage
from the previous one's checkpoint, on synthetic CREMA-D, AV-MNIST and NYU-Depth V2 (the dense
path: segmentors, spatial masks, the dense router); every multimodal pair's three cells are
the official stages.

What each stage may change, as the official ``main-MST-Distill.py`` trains it: stage 1 every
network (both teachers included); stage 2 only the mask networks (teachers frozen, the student
held at lr 0); stage 3 the student and the router (teachers and masks frozen).
"""
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from fdkd_mm.models.distillers.widths import WidthMismatchError
from tiny_runs import REPO, distill_keys, tiny_config, train

CELL = 'fusion-r18-av_r18-audio_cremad'


class Snapshot(Hook):
    """The distiller's parameters (BN statistics left out) after loading and after training."""

    @staticmethod
    def take(runner) -> dict:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return {k: v.detach().clone() for k, v in model.named_parameters()} | {
            k: v.detach().clone() for k, v in model.named_buffers()
            if 'running' not in k and 'num_batches' not in k}

    def before_train(self, runner) -> None:
        self.before = self.take(runner)

    def after_train(self, runner) -> None:
        self.after = self.take(runner)

    def changed(self) -> set:
        """The owners (``student``, ``mm``, ``losses.loss_mst.masks`` ...) whose tensors moved."""
        return {owner(k) for k, v in self.after.items() if not torch.equal(v, self.before[k])}


def owner(key: str) -> str:
    parts = key.split('.')
    return '.'.join(parts[:3]) if parts[0] == 'losses' else parts[0]


# (cell, student, the cross-modal teacher's modality, the fusion teacher's inputs)
AV = ['audio', 'visual']
CELLS = [(f'fusion-r18-av_r18-{s}_{d}', s, c, AV) for d in ('cremad', 'ave', 'ravdess')
         for s, c in (('audio', 'visual'), ('visual', 'audio'))]
CELLS += [(f'fusion-r18-ia_r18-{s}_avmnist', s, c, ['image', 'audio'])
          for s, c in (('audio', 'image'), ('image', 'audio'))]
# NYU-Depth V2 (segmentation): (cell, student, the cross-modal teacher's modality).
NYU_CELLS = [(f'dlv3p-r18-rgbd_dlv3p-r18-{s}_nyu', s, c)
             for s, c in (('rgb', 'depth'), ('depth', 'rgb'))]


def test_every_multimodal_pair_has_its_three_cells():
    expected = {f'{stage}_{cell[0]}.py' for cell in CELLS + NYU_CELLS
                for stage in ('mst-cotrain', 'mst-mask', 'mst')}
    assert {p.name for p in (REPO / 'configs' / 'mst').glob('mst*.py')} == expected


@pytest.mark.parametrize('cell, student, cm, mm_inputs', CELLS, ids=[c[0] for c in CELLS])
def test_cells_are_the_official_stages(cell, student, cm, mm_inputs):
    cfgs = [Config.fromfile(str(REPO / f'configs/mst/{stage}_{cell}.py'))
            for stage in ('mst-cotrain', 'mst-mask', 'mst')]
    for cfg in cfgs:
        assert cfg.model.student_input == student and set(cfg.model.teachers) == {'mm', 'cm'}
        assert list(cfg.model.teachers.mm.inputs) == mm_inputs
        assert cfg.model.teachers.cm.inputs == cm
        assert cfg.model.teachers.mm.network.type == 'fdkd_mm.FusionClassifier'
        classes = cfg.model.student.head.num_classes
        assert classes == cfg.model.teachers.mm.network.head.num_classes
        assert classes == cfg.model.teachers.cm.network.head.num_classes
        assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-4)
        assert cfg.param_scheduler == []
    assert cfgs[1].model.distill_losses.loss_mst.num_classes == classes
    types = [cfg.model.teachers.mm.type for cfg in cfgs]
    assert types == ['fdkd_mm.TrainableTeacher'] + ['fdkd_mm.FrozenTeacher'] * 2
    assert cfgs[1].load_from == f'work_dirs/mst-cotrain_{cell}/epoch_100.pth'
    assert cfgs[2].load_from == f'work_dirs/mst-mask_{cell}/epoch_100.pth'
    assert [cfg.model.distill_losses.loss_mst.stage for cfg in cfgs[1:]] == ['mask', 'distill']
    student_lr = cfgs[1].optim_wrapper.paramwise_cfg.custom_keys.student.lr_mult
    assert student_lr == 0.0 and 'paramwise_cfg' not in cfgs[2].optim_wrapper


@pytest.mark.parametrize('cell, student, cm', NYU_CELLS, ids=[c[0] for c in NYU_CELLS])
def test_nyu_cells_are_the_official_dense_stages(cell, student, cm):
    cfgs = [Config.fromfile(str(REPO / f'configs/mst/{stage}_{cell}.py'))
            for stage in ('mst-cotrain', 'mst-mask', 'mst')]
    uni = Config.fromfile(str(REPO / f'configs/uni/uni_dlv3p-r18-{cm}_nyu.py')).model
    fused = Config.fromfile(str(REPO / 'configs/mm/uni_dlv3p-r18-rgbd_nyu.py')).model
    for cfg in cfgs:
        teachers = cfg.model.teachers
        assert cfg.model.student_input == student and set(teachers) == {'mm', 'cm'}
        assert (teachers.mm.inputs, teachers.cm.inputs) == ('rgbd', cm)
        # The teachers are the fused RGB-D and the other modality's Uni DeepLabV3+.
        assert teachers.mm.network.backbone.in_channels == 4
        assert teachers.mm.network.data_preprocessor == fused.data_preprocessor
        assert teachers.cm.network.data_preprocessor == uni.data_preprocessor
        assert teachers.cm.network.backbone == uni.backbone
        for network in (cfg.model.student, teachers.mm.network, teachers.cm.network):
            assert network.decode_head.num_classes == 40
        for teacher in teachers.values():
            assert teacher.recorders.head_input == dict(path='decode_head.conv_seg',
                                                        source='input')
        assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-4)
        assert cfg.param_scheduler == []
    loss = cfgs[1].model.distill_losses.loss_mst
    assert loss.dense and loss.num_classes == 40 and loss.mm_channels == loss.cm_channels == 128
    types = [cfg.model.teachers.mm.type for cfg in cfgs]
    assert types == ['fdkd_mm.TrainableTeacher'] + ['fdkd_mm.FrozenTeacher'] * 2
    assert cfgs[1].load_from == f'work_dirs/mst-cotrain_{cell}/epoch_50.pth'
    assert cfgs[2].load_from == f'work_dirs/mst-mask_{cell}/epoch_50.pth'
    assert [cfg.model.distill_losses.loss_mst.stage for cfg in cfgs[1:]] == ['mask', 'distill']
    assert cfgs[1].optim_wrapper.paramwise_cfg.custom_keys.student.lr_mult == 0.0


def narrow_segmentors(stage: str) -> dict:
    """Overrides narrowing the three DeepLabV3+ R18s of a NYU cell (tiny_runs keeps
    segmentors at full width) to a base width of 8, their heads and the masks' width with them."""
    narrow = {'backbone.base_channels': 8, 'backbone.stem_channels': 8,
              'decode_head.in_channels': 64, 'decode_head.channels': 16,
              'decode_head.c1_in_channels': 8, 'decode_head.c1_channels': 8,
              'auxiliary_head.in_channels': 32, 'auxiliary_head.channels': 8}
    out = {f'model.{network}.{key}': value for key, value in narrow.items()
           for network in ('student', 'teachers.mm.network', 'teachers.cm.network')}
    if stage != 'mst-cotrain':
        out.update({'model.distill_losses.loss_mst.mm_channels': 16,
                    'model.distill_losses.loss_mst.cm_channels': 16})
    return out


@pytest.mark.parametrize('cell', [CELL, 'fusion-r18-ia_r18-image_avmnist',
                                  'dlv3p-r18-rgbd_dlv3p-r18-rgb_nyu'])
def test_three_stages_chain_on_tiny_networks(cell, data_roots, tokenizer_dir, tmp_path):
    watches, records, previous = {}, {}, None
    for stage in ('mst-cotrain', 'mst-mask', 'mst'):
        overrides = ({'train_dataloader.dataset.val_size': 2}  # 12 synthetic pairs
                     if cell.endswith('avmnist') else None)
        if cell.endswith('nyu'):
            overrides = narrow_segmentors(stage)
        cfg = tiny_config(f'configs/mst/{stage}_{cell}.py', data_roots, tokenizer_dir,
                          tmp_path / stage, overrides)
        cfg.load_from = previous  # the previous stage's networks (tiny_config has no ckpt)
        watches[stage] = Snapshot()
        runner, records[stage] = train(cfg, hooks=[watches[stage]])
        runner.save_checkpoint(str(tmp_path / stage), 'last.pth')
        previous = str(tmp_path / stage / 'last.pth')
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    assert distill_keys(records['mst-cotrain'][0]) == {
        f'distill.loss_mst_cotrain.loss_{n}' for n in ('student', 'mm', 'cm')}
    # Both teachers' task losses join stage 1 (a segmentor logs teacher.<name>.decode.*).
    for name in ('mm', 'cm'):
        assert any(k.startswith(f'teacher.{name}.') and 'loss' in k
                   for k in records['mst-cotrain'][0]), name
    assert distill_keys(records['mst-mask'][0]) == {'distill.loss_mst.loss_mask_mm',
                                                    'distill.loss_mst.loss_mask_cm'}
    assert distill_keys(records['mst'][0]) == {'distill.loss_mst.loss_kd',
                                               'distill.loss_mst.loss_lb'}
    routing = model.losses['loss_mst'].routing
    assert set(routing) == {'mm', 'cm'} and float(sum(routing.values())) == 1.0
    # What each stage trains (official): everything; the masks only; the student and router.
    assert watches['mst-cotrain'].changed() == {'student', 'mm', 'cm'}
    assert watches['mst-mask'].changed() == {'losses.loss_mst.masks'}
    assert watches['mst'].changed() == {'student', 'losses.loss_mst.gate'}
    # Each stage starts from the networks the previous one left.
    for earlier, later in (('mst-cotrain', 'mst-mask'), ('mst-mask', 'mst')):
        after, before = watches[earlier].after, watches[later].before
        shared = set(after) & set(before)
        assert {owner(k) for k in shared} >= {'student', 'mm', 'cm'}
        assert all(torch.equal(after[k], before[k]) for k in shared), (earlier, later)
    assert {owner(k) for k in watches['mst'].before} >= {'losses.loss_mst.masks'}
    assert not model.mm.training and not model.cm.training
    assert not model.losses['loss_mst'].masks.training


def test_a_mask_built_for_another_width_is_refused(data_roots, tokenizer_dir, tmp_path):
    cfg = tiny_config(f'configs/mst/mst-mask_{CELL}.py', data_roots, tokenizer_dir,
                      tmp_path / 'work', {'model.distill_losses.loss_mst.cm_channels': 1024})
    with pytest.raises(WidthMismatchError, match="argument 'cm_feat' expects 128 channels"):
        train(cfg)
