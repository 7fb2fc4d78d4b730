"""The published unpaired method with the teacher's batches streamed, end to end on synthetic
CREMA-D shrunk to CPU size: sumall and bilevel runs, and a resumed run that draws the teacher
batches of an uninterrupted one (the teacher's part A shorter than the run, so it cycles)."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
from fdkd_mm.datasets import DisjointPartDataset
from fdkd_mm.engine import BilevelIterBasedTrainLoop
from fdkd_mm.models.distillers.validation import DistillConfigError, validate_distill_config
from fdkd_mm.models.teachers import StreamedTeacher
from fdkd_mm.testing import write_synthetic_cremad
from tiny_runs import REPO, distill_keys, tiny_config, train

FA_LA = {'distill.loss_fa', 'distill.loss_la'}
SUMALL = 'configs/unpaired/ucmkd-sumall-stream_r18-audio_r18-visual_cremad.py'
BILEVEL = 'configs/unpaired/ucmkd-bilevel-stream_r18-visual_r18-audio_cremad.py'


@pytest.fixture(scope='module')
def cremad(tmp_path_factory, tokenizer_dir):
    """Synthetic CREMA-D with 4 training actors: parts A and B of 2 actors x 6 clips each."""
    root = tmp_path_factory.mktemp('ucmkd_stream')
    write_synthetic_cremad(str(root / 'cremad'), clips_per_class=(4, 1))
    return dict(root=root, data_roots=dict(CremaDDataset=str(root / 'cremad')),
                tokenizer_dir=tokenizer_dir)


def config(cremad, name: str, work: str, overrides: dict = None):
    return tiny_config(name, cremad['data_roots'], cremad['tokenizer_dir'],
                       cremad['root'] / work, overrides)


class TeacherBatches(Hook):
    """Records the ``sample_idx`` of the streamed teacher's batch at every iteration."""

    def __init__(self) -> None:
        self.batches = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.batches.append(list(runner.model.teachers['teacher'].last_indices))


def part_a_indices(cfg) -> set:
    dataset = DisjointPartDataset(**{k: v for k, v in cfg.teacher_dataloader.dataset.items()
                                     if k != 'type'})
    dataset.full_init()
    return {dataset.get_data_info(i)['sample_idx'] for i in range(len(dataset))}


def test_sumall_streams_the_part_a_teachers_batches(cremad):
    cfg = config(cremad, SUMALL, 'sumall')
    assert cfg.model.teacher_stream is True and cfg.teacher_bank is None
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=5.0)
    assert cfg.teacher_dataloader.dataset.part == 'A'
    seen = TeacherBatches()
    runner, records = train(cfg, hooks=[seen])
    assert all(distill_keys(record) == FA_LA for record in records)
    teacher = runner.model.teachers['teacher']
    assert isinstance(teacher, StreamedTeacher)
    assert not any(p.requires_grad for p in teacher.network.parameters())
    assert teacher.stream.position == 2 and teacher.stream.batch_size == 4
    assert teacher.stream.seed == runner.seed + 1  # its own seed, not the student's
    # Its own data: part A's clips only, 4 per step; the student's batches hold visual only.
    assert all(len(batch) == 4 for batch in seen.batches)
    assert {i for batch in seen.batches for i in batch} <= part_a_indices(cfg)
    assert set(next(iter(runner.train_dataloader))['inputs']) == {'visual'}


def test_bilevel_draws_one_teacher_batch_per_step(cremad):
    original = Config.fromfile(str(REPO / BILEVEL))
    assert original.train_cfg.type == 'fdkd_mm.BilevelEpochBasedTrainLoop'
    cfg = config(cremad, BILEVEL, 'bilevel')
    cfg.train_cfg = dict(type='fdkd_mm.BilevelIterBasedTrainLoop', max_iters=2,
                         val_interval=10 ** 6, bilevel=original.train_cfg.bilevel)
    runner, records = train(cfg)
    assert isinstance(runner.train_loop, BilevelIterBasedTrainLoop)
    assert all(distill_keys(record) == FA_LA for record in records)
    assert runner.model.teachers['teacher'].stream.position == 2  # 3 forwards per step


def run(cremad, work: str, iters: int, resume_from: str = None) -> tuple[Runner, list]:
    """A sumall run of ``iters`` iterations (checkpoints every 2); the teacher's batches."""
    cfg = config(cremad, SUMALL, work)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=10 ** 6)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=2)
    if resume_from is not None:
        cfg.update(resume=True, load_from=resume_from)
    runner, seen = Runner.from_cfg(cfg), TeacherBatches()
    runner.register_hook(seen, priority='LOWEST')
    runner.train()
    return runner, seen.batches


def test_a_resumed_run_draws_the_teacher_batches_of_an_uninterrupted_one(cremad):
    _, whole = run(cremad, 'whole', 5)
    # Part A: 12 clips, batches of 4 (drop_last): 3 per pass, so step 4 starts a new pass.
    assert len(whole) == 5
    assert len({i for batch in whole[:3] for i in batch}) == 12
    assert whole[3] != whole[0]  # a new pass in a new order
    first, batches = run(cremad, 'first', 2)
    assert batches == whole[:2]
    checkpoint = Path(first.work_dir) / 'iter_2.pth'
    state = load_checkpoint_file(str(checkpoint))['teacher_streams']['teacher']
    assert (state['epoch'], state['position'], state['num_samples']) == (0, 2, 12)
    _, rest = run(cremad, 'resumed', 5, str(checkpoint))
    assert rest == whole[2:]


def test_the_config_check_reads_the_streamed_teachers_input_from_its_own_loader():
    cfg = Config.fromfile(str(REPO / SUMALL))
    validate_distill_config(cfg)  # audio in teacher_dataloader, visual in train_dataloader
    cfg.teacher_dataloader.dataset.dataset.pipeline[-1]['keys'] = ('visual', )
    with pytest.raises(DistillConfigError, match=r"model.teacher_input='audio' is not packed by "
                                                 r"the teacher_dataloader pipeline: its packing "
                                                 r"transform produces \['visual'\]"):
        validate_distill_config(cfg)
    cfg.teacher_dataloader = None
    with pytest.raises(DistillConfigError, match='a streamed teacher reads teacher_dataloader, '
                                                 'which the config does not have'):
        validate_distill_config(cfg)
