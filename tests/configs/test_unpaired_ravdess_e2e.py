"""RAVDESS in the unpaired protocol, end to end on synthetic clips of two training actors:
the split by actor, the part-A teacher, and the published method without pairs (the bank,
the streamed teacher with the bilevel loop) and in the authors' paired-batch protocol."""
from pathlib import Path

import pytest
from mmengine.config import Config

from fdkd_mm.datasets.audio_visual.ravdess import parse_clip_name
from fdkd_mm.registry import DATASETS
from fdkd_mm.testing.synthetic_ravdess import write_synthetic_ravdess
from tiny_runs import REPO, distill_keys, tiny_config, train

FA_LA = {'distill.loss_fa', 'distill.loss_la'}


@pytest.fixture(scope='module')
def ravdess(tmp_path_factory, tokenizer_dir):
    """Synthetic RAVDESS (training actors 09 and 10, 2 clips per emotion each) and the audio
    teacher trained on part A."""
    root = tmp_path_factory.mktemp('ravdess_unpaired')
    write_synthetic_ravdess(str(root / 'ravdess'), clips_per_class=(4, 1, 1),
                            train_actors=(9, 10))
    data_roots = dict(RAVDESSDataset=str(root / 'ravdess'))
    teacher, _ = train(tiny_config('configs/unpaired/uni-parta_r18-audio_ravdess.py',
                                   data_roots, tokenizer_dir, root / 'teacher'))
    teacher.save_checkpoint(str(root / 'teacher'), 'teacher.pth')
    return dict(root=root, data_roots=data_roots, tokenizer_dir=tokenizer_dir,
                teacher_ckpt=str(root / 'teacher' / 'teacher.pth'))


def config(ravdess, name: str, overrides: dict) -> Config:
    return tiny_config(name, ravdess['data_roots'], ravdess['tokenizer_dir'],
                       ravdess['root'] / Path(name).stem, overrides)


def actors(dataset_cfg: dict, data_root: str) -> set[int]:
    dataset = DATASETS.build(dict(dataset_cfg, dataset=dict(dataset_cfg['dataset'],
                                                            data_root=data_root)))
    return {parse_clip_name(dataset.get_data_info(i)['clip_id']).actor
            for i in range(len(dataset))}


def test_parts_split_the_training_actors(ravdess):
    cfg = Config.fromfile(str(REPO / 'configs/unpaired/uni-parta_r18-audio_ravdess.py'))
    root = ravdess['data_roots']['RAVDESSDataset']
    part_a = dict(cfg.train_dataloader.dataset.to_dict(), _scope_='fdkd_mm')
    part_b = dict(part_a, part='B')
    for part in (part_a, part_b):
        part['dataset'] = dict(part['dataset'], pipeline=[])
    # Two actors, half of them in each part: one each, every clip of an actor on one side.
    assert {frozenset(actors(part_a, root)), frozenset(actors(part_b, root))} == {
        frozenset({9}), frozenset({10})}


def test_sumall_without_pairs_reads_the_part_a_teachers_bank(ravdess):
    name = 'configs/unpaired/ucmkd-sumall_r18-audio_r18-visual_ravdess.py'
    cfg = config(ravdess, name, {'teacher_bank.teacher_ckpt': ravdess['teacher_ckpt']})
    assert cfg.model.student.head.num_classes == 8
    runner, records = train(cfg)
    assert all(distill_keys(record) == FA_LA for record in records)
    bank = runner.model.losses['loss_cmkd'].bank
    assert bank.manifest['num_samples'] == 16  # part A: one actor x 2 clips x 8 emotions


def test_bilevel_streams_the_part_a_teachers_batches(ravdess):
    name = 'configs/unpaired/ucmkd-bilevel-stream_r18-visual_r18-audio_ravdess.py'
    original = Config.fromfile(str(REPO / name))
    visual_teacher, _ = train(tiny_config('configs/unpaired/uni-parta_r18-visual_ravdess.py',
                                          ravdess['data_roots'], ravdess['tokenizer_dir'],
                                          ravdess['root'] / 'visual_teacher'))
    visual_teacher.save_checkpoint(str(ravdess['root'] / 'visual_teacher'), 'teacher.pth')
    cfg = config(ravdess, name, {
        'model.teacher_ckpt': str(ravdess['root'] / 'visual_teacher' / 'teacher.pth')})
    cfg.train_cfg = dict(type='fdkd_mm.BilevelIterBasedTrainLoop', max_iters=2,
                         val_interval=10 ** 6, bilevel=original.train_cfg.bilevel)
    runner, records = train(cfg)
    assert len(records) == 2
    for record in records:
        assert distill_keys(record) == FA_LA and 'student.loss' in record


def test_the_authors_protocol_reads_a_live_frozen_teacher(ravdess):
    name = 'configs/ucmkd/ucmkd-sumall-ref_r18-visual_r18-audio_ravdess.py'
    cfg = config(ravdess, name, {})
    assert cfg.model.distill_losses.loss_cmkd.teacher_source == 'batch'
    runner, records = train(cfg)
    assert all(distill_keys(record) == FA_LA for record in records)
    assert not any(p.requires_grad for p in runner.model.teacher.parameters())
