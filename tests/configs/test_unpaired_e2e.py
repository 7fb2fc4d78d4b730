"""The unpaired protocol end to end on synthetic data, with the real configs shrunk to CPU size:
a teacher trained on part A, its bank built by the hook before the student trains on part B
(disjoint actors / rooms), the tool building the identical bank, ``--resume`` keeping it
bit-exact, banks of another teacher or other data refused, and the student tested."""
import copy
import logging
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from fdkd_mm.checkpoint.file_hash import file_sha256
from fdkd_mm.models.banks import BankMismatchError
from fdkd_mm.testing import write_synthetic_cremad, write_synthetic_nyu
from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
from tiny_runs import REPO, distill_keys, shrink_dataset, tiny_config, train

BANK_KEY = 'losses.loss_ufd.bank._extra_state'
UFD = 'configs/unpaired/ufd_r18-audio_r18-visual_cremad.py'
UFD_KEYS = {'distill.loss_low_mean', 'distill.loss_high_mean', 'distill.loss_label',
            'align.loss_low_student', 'align.loss_low_teacher', 'align.loss_high_student',
            'align.loss_high_teacher'}


def with_checkpoints(cfg: Config) -> Config:
    cfg.default_hooks.checkpoint = dict(type='fdkd_mm.AtomicCheckpointHook', by_epoch=False,
                                        interval=1, max_keep_ckpts=5, save_best=None)
    return cfg


def with_test(cfg: Config, config: str, data_roots: dict) -> Config:
    """Put the config's own test loader (shrunk) back for ``runner.test()``."""
    original = Config.fromfile(str(REPO / config))
    loader = copy.deepcopy(original.test_dataloader)
    shrink_dataset(loader.dataset, data_roots, '')
    loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.test_dataloader, cfg.test_cfg = loader, dict(type='TestLoop')
    cfg.test_evaluator = original.test_evaluator
    return cfg


@pytest.fixture(scope='module')
def cremad_runs(tmp_path_factory, tokenizer_dir):
    """Synthetic CREMA-D with 4 training actors; the audio teacher on part A (2 actors); the
    visual student by unpaired FD on part B (the other 2), checkpointed every iteration."""
    root = tmp_path_factory.mktemp('unpaired')
    write_synthetic_cremad(str(root / 'cremad'), clips_per_class=(4, 1))
    data_roots = dict(CremaDDataset=str(root / 'cremad'))
    teacher_cfg = tiny_config('configs/unpaired/uni-parta_r18-audio_cremad.py', data_roots,
                              tokenizer_dir, root / 'teacher')
    runner, _ = train(teacher_cfg)
    runner.save_checkpoint(str(root / 'teacher'), 'teacher.pth')
    teacher_ckpt = str(root / 'teacher' / 'teacher.pth')
    overrides = {'teacher_bank.teacher_ckpt': teacher_ckpt}
    cfg = with_checkpoints(tiny_config(UFD, data_roots, tokenizer_dir, root / 'ufd', overrides))
    student, records = train(with_test(cfg, UFD, data_roots))
    return dict(root=root, data_roots=data_roots, teacher_ckpt=teacher_ckpt, cfg=cfg,
                runner=student, records=records, tokenizer_dir=tokenizer_dir)


def bank_of(checkpoint: Path) -> dict:
    return load_checkpoint_file(str(checkpoint))['state_dict'][BANK_KEY]


def test_the_student_trains_on_part_b_from_a_bank_of_part_a(cremad_runs):
    for record in cremad_runs['records']:
        assert distill_keys(record) == UFD_KEYS, record
        assert not any(k.startswith('teacher.') for k in record)
    model = cremad_runs['runner'].model
    assert model.teacher is None
    manifest = model.losses['loss_ufd'].bank.manifest
    assert manifest['teacher']['checkpoint_sha256'] == file_sha256(cremad_runs['teacher_ckpt'])
    assert manifest['teacher']['input'] == 'audio'
    assert sorted(manifest['teacher']['recorders']) == ['feat', 'logits']
    assert manifest['dataset']['part'] == 'A' and manifest['dataset']['group_by'] == 'actor'
    assert manifest['num_samples'] == 12  # 2 actors x 6 emotions
    assert manifest['student_overlap'] == dict(samples=0, groups=0)
    bank = model.losses['loss_ufd'].bank.state()['tensors']
    assert bank['features'].shape == (12, 64) and bank['counts'].tolist() == [2.0] * 6
    # The student's data: part B, the visual modality only.
    batch = next(iter(cremad_runs['runner'].train_dataloader))
    assert set(batch['inputs']) == {'visual'}
    actors = {s.metainfo['clip_id'].split('_')[0] for s in batch['data_samples']}
    teacher_actors = {key.split('_')[0] for key in _part_clips(cremad_runs, 'A')}
    assert actors and actors.isdisjoint(teacher_actors)
    metrics = cremad_runs['runner'].test()
    assert 0.0 <= metrics['accuracy/top1'] <= 100.0


def _part_clips(runs, part: str) -> set:
    from fdkd_mm.registry import DATASETS
    cfg = copy.deepcopy(runs['cfg'].teacher_dataloader.dataset)
    cfg.part = part
    dataset = DATASETS.build(cfg)
    return {dataset.get_data_info(i)['clip_id'] for i in range(len(dataset))}


def test_the_tool_builds_the_bank_the_hook_built(cremad_runs, tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location('build_teacher_bank',
                                                  REPO / 'tools' / 'build_teacher_bank.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    config = tmp_path / 'ufd_tiny.py'
    cremad_runs['cfg'].dump(str(config))
    out = tmp_path / 'bank.pth'
    assert tool.main([str(config), '--out', str(out), '--device', 'cpu', '--no-progress']) == 0
    built = load_checkpoint_file(str(out))
    held = cremad_runs['runner'].model.losses['loss_ufd'].bank.state()
    for key, value in held['tensors'].items():
        assert torch.equal(built['tensors'][key], value), key
    for key in ('teacher', 'dataset', 'bands', 'num_classes', 'temperature', 'layout'):
        assert built['manifest'][key] == held['manifest'][key], key
    # The bank file then feeds a run directly: the loss loads it, the hook only verifies it.
    cfg = copy.deepcopy(cremad_runs['cfg'])
    cfg.model.distill_losses.loss_ufd.bank_file = str(out)
    cfg.work_dir = str(tmp_path / 'from_file')
    cfg.visualizer.name = 'visualizer_bank_file'
    cfg.experiment_name = 'ufd_bank_file'
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    runner = Runner.from_cfg(cfg)
    with _captured('mmengine') as lines:
        runner.train()
    assert any('already held' in line and 'verified: teacher, teacher data' in line
               for line in lines)
    assert runner.model.losses['loss_ufd'].bank.manifest == built['manifest']


class _captured:
    """Collect the messages of a logger (MMEngine's runs log through 'mmengine')."""

    def __init__(self, name: str) -> None:
        self.handler = logging.Handler()
        self.lines = []
        self.handler.emit = lambda record: self.lines.append(record.getMessage())
        self.name = name

    def __enter__(self) -> list:
        from mmengine.logging import MMLogger
        MMLogger.get_current_instance().addHandler(self.handler)
        return self.lines

    def __exit__(self, *exc) -> None:
        from mmengine.logging import MMLogger
        MMLogger.get_current_instance().removeHandler(self.handler)


def resumed(runs, name: str, **changes) -> Runner:
    """A run resuming the unpaired student from its first checkpoint, to 3 iterations."""
    cfg = copy.deepcopy(runs['cfg'])
    cfg.merge_from_dict(changes)
    cfg.train_cfg.max_iters = 3
    cfg.work_dir = str(runs['root'] / name)
    cfg.resume, cfg.load_from = True, str(runs['root'] / 'ufd' / 'iter_1.pth')
    cfg.visualizer.name = f'visualizer_{name}'
    cfg.experiment_name = f'ufd_{name}'
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    return Runner.from_cfg(cfg)


def test_resume_keeps_the_bank_bit_exact(cremad_runs):
    saved = bank_of(cremad_runs['root'] / 'ufd' / 'iter_1.pth')
    runner = resumed(cremad_runs, 'resumed')
    with _captured('mmengine') as lines:
        runner.train()
    assert any('not rebuilt' in line for line in lines)
    assert not any('built the teacher bank' in line for line in lines)
    held = runner.model.losses['loss_ufd'].bank.state()
    assert held['manifest'] == saved['manifest']  # creation time included: not rebuilt
    for key, value in saved['tensors'].items():
        assert torch.equal(held['tensors'][key], value), key
    final = bank_of(cremad_runs['root'] / 'resumed' / 'iter_3.pth')
    for key, value in saved['tensors'].items():
        assert torch.equal(final['tensors'][key], value), key


def test_resuming_with_another_teacher_or_other_teacher_data_is_refused(cremad_runs):
    checkpoint = torch.load(cremad_runs['teacher_ckpt'], weights_only=False)
    name = next(k for k in checkpoint['state_dict'] if k.endswith('conv1.weight'))
    checkpoint['state_dict'][name] = checkpoint['state_dict'][name] + 0.01
    other = str(cremad_runs['root'] / 'other_teacher.pth')
    torch.save(checkpoint, other)
    runner = resumed(cremad_runs, 'other_teacher', **{'teacher_bank.teacher_ckpt': other})
    with pytest.raises(BankMismatchError, match='was built from another teacher'):
        runner.train()
    runner = resumed(cremad_runs, 'other_data', **{'teacher_dataloader.dataset.seed': 1})
    with pytest.raises(ValueError, match='was built on other teacher data'):
        runner.train()


def test_teacher_data_shared_with_the_student_is_refused(cremad_runs):
    cfg = copy.deepcopy(cremad_runs['cfg'])
    cfg.teacher_dataloader.dataset.part = 'B'  # the student's own part
    cfg.work_dir = str(cremad_runs['root'] / 'shared')
    cfg.visualizer.name, cfg.experiment_name = 'visualizer_shared', 'ufd_shared'
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    with pytest.raises(ValueError, match=r'shares 12 samples and 2 groups with the student.*'
                                         r'require_disjoint=True'):
        Runner.from_cfg(cfg).train()


def test_dense_bank_on_nyu_parts(tmp_path, tokenizer_dir):
    """The dense path: per-pixel statistics of a depth teacher (no sample bank), Gaussian
    teacher rows for the shared heads, an RGB student on the other rooms."""
    nyu = write_synthetic_nyu(tmp_path / 'nyu', num_train=8, num_test=2, frames_per_scene=2)
    data_roots = dict(NYUDepthV2Dataset=str(nyu))
    teacher = tiny_config('configs/unpaired/uni-parta_dlv3p-r18-depth_nyu.py', data_roots,
                          tokenizer_dir, tmp_path / 'teacher')
    runner, _ = train(teacher)
    runner.save_checkpoint(str(tmp_path / 'teacher'), 'teacher.pth')
    config = 'configs/unpaired/ufd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py'
    overrides = {'teacher_bank.teacher_ckpt': str(tmp_path / 'teacher' / 'teacher.pth')}
    cfg = tiny_config(config, data_roots, tokenizer_dir, tmp_path / 'ufd', overrides)
    with pytest.raises(Exception, match=r'classes \[6, 7, .*have no sample in the teacher'):
        Runner.from_cfg(copy.deepcopy(cfg)).train()  # synthetic scenes use 6 of 40 classes
    cfg.teacher_bank.allow_missing_classes = True
    cfg.visualizer.name, cfg.experiment_name = 'visualizer_nyu_ufd2', 'nyu_ufd2'
    student, records = train(cfg)
    assert distill_keys(records[-1]) == UFD_KEYS
    bank = student.model.losses['loss_ufd'].bank
    assert bank.manifest['layout'] == 'dense' and not bank.has_samples
    counts = bank.state()['tensors']['counts']
    assert counts[:6].min() > 0 and counts[6:].sum() == 0
    assert bank.manifest['student_overlap'] == dict(samples=0, groups=0)
