"""The published unpaired method's configs end to end on synthetic CREMA-D, shrunk to CPU size:
sumall and bilevel without pairs (a part-A teacher's bank, a teacher-free student on part B,
its clip_grad and train loop as configured) and the authors' own protocol (a live frozen
teacher on the same batches)."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
from fdkd_mm.engine import BilevelIterBasedTrainLoop
from fdkd_mm.testing import write_synthetic_cremad
from tiny_runs import REPO, distill_keys, tiny_config, train

FA_LA = {'distill.loss_fa', 'distill.loss_la'}


@pytest.fixture(scope='module')
def cremad(tmp_path_factory, tokenizer_dir):
    """Synthetic CREMA-D with 4 training actors and the audio teacher trained on part A."""
    root = tmp_path_factory.mktemp('ucmkd')
    write_synthetic_cremad(str(root / 'cremad'), clips_per_class=(4, 1))
    data_roots = dict(CremaDDataset=str(root / 'cremad'))
    teacher, _ = train(tiny_config('configs/unpaired/uni-parta_r18-audio_cremad.py', data_roots,
                                   tokenizer_dir, root / 'teacher'))
    teacher.save_checkpoint(str(root / 'teacher'), 'teacher.pth')
    return dict(root=root, data_roots=data_roots, tokenizer_dir=tokenizer_dir,
                teacher_ckpt=str(root / 'teacher' / 'teacher.pth'))


def config(cremad, name: str, overrides: dict) -> Config:
    return tiny_config(name, cremad['data_roots'], cremad['tokenizer_dir'],
                       cremad['root'] / Path(name).stem, overrides)


def test_sumall_without_pairs_reads_the_part_a_teachers_bank(cremad):
    name = 'configs/unpaired/ucmkd-sumall_r18-audio_r18-visual_cremad.py'
    cfg = config(cremad, name, {'teacher_bank.teacher_ckpt': cremad['teacher_ckpt']})
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=5.0)
    runner, records = train(cfg)
    assert all(distill_keys(record) == FA_LA for record in records)
    model = runner.model
    assert model.teacher is None
    bank = model.losses['loss_cmkd'].bank
    assert bank.has_samples and bank.manifest['num_samples'] == 12  # part A: 2 actors x 6
    teacher_state = load_checkpoint_file(cremad['teacher_ckpt'])['state_dict']
    held = bank.state()['tensors']
    assert torch.equal(held['classifier_weight'], teacher_state['head.fc.weight'])
    assert torch.equal(held['classifier_bias'], teacher_state['head.fc.bias'])
    assert bank.manifest['classifier']['path'] == 'head.fc'


def test_bilevel_without_pairs_runs_its_train_loop(cremad):
    name = 'configs/unpaired/ucmkd-bilevel_r18-audio_r18-visual_cremad.py'
    original = Config.fromfile(str(REPO / name))
    assert original.train_cfg.type == 'fdkd_mm.BilevelEpochBasedTrainLoop'
    loss = original.model.distill_losses.loss_cmkd
    assert not loss.clamp_cost and not loss.la_teacher_grad
    assert original.optim_wrapper.clip_grad is None
    cfg = config(cremad, name, {'teacher_bank.teacher_ckpt': cremad['teacher_ckpt']})
    cfg.train_cfg = dict(type='fdkd_mm.BilevelIterBasedTrainLoop', max_iters=2,
                         val_interval=10 ** 6, bilevel=original.train_cfg.bilevel)
    runner, records = train(cfg)
    assert isinstance(runner.train_loop, BilevelIterBasedTrainLoop)
    for record in records:
        assert distill_keys(record) == FA_LA and 'student.loss' in record
        assert record['loss'] == pytest.approx(
            record['student.loss'] + record['distill.loss_fa'] + record['distill.loss_la'],
            rel=1e-4)


def test_the_authors_protocol_reads_a_live_frozen_teacher(cremad):
    name = 'configs/ucmkd/ucmkd-sumall-ref_r18-audio_r18-visual_cremad.py'
    cfg = config(cremad, name, {})
    assert cfg.model.distill_losses.loss_cmkd.teacher_source == 'batch'
    runner, records = train(cfg)
    assert all(distill_keys(record) == FA_LA for record in records)
    model = runner.model
    assert model.teacher is not None
    assert not any(p.requires_grad for p in model.teacher.parameters())
    batch = next(iter(runner.train_dataloader))
    assert set(batch['inputs']) == {'audio', 'visual'}  # paired batches, pairing ignored
