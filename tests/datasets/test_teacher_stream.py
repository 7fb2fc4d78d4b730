"""The teacher's stream of batches: cycled over a short dataset, its own seed, exact resumes,
the distributed split, and the refusals."""
import mmengine.dataset.sampler as mmengine_samplers
import pytest
import torch
from torch.utils.data import Dataset

import fdkd_mm.datasets.teacher_stream as teacher_stream
from fdkd_mm.datasets.teacher_stream import TeacherStream
from fdkd_mm.errors import ConfigError, DataError


class Numbers(Dataset):
    """Sample i is the number i; counts the samples it loads."""

    def __init__(self, size: int) -> None:
        self.size, self.loaded = size, 0

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> int:
        self.loaded += 1
        return index


def loader(dataset, batch_size=2, drop_last=True, **sampler) -> dict:
    return dict(dataset=dataset, batch_size=batch_size, drop_last=drop_last, num_workers=0,
                collate_fn=dict(type='default_collate'),
                sampler=dict(type='DefaultSampler', shuffle=True, **sampler))


def draw(stream: TeacherStream, count: int) -> list[list[int]]:
    return [stream.next().tolist() for _ in range(count)]


def permutation(size: int, seed: int) -> list[int]:
    """A shuffling sampler's order of one pass: a permutation seeded by seed + pass."""
    generator = torch.Generator()
    generator.manual_seed(seed)
    return torch.randperm(size, generator=generator).tolist()


def test_a_dataset_shorter_than_the_students_epoch_is_cycled_pass_after_pass():
    stream = TeacherStream(loader(Numbers(5)), seed=3)
    batches = draw(stream, 7)  # 2 full batches per pass (drop_last): passes 0, 1, 2 and one
    expected = []
    for epoch in range(4):
        order = permutation(5, 3 + epoch)
        expected += [order[0:2], order[2:4]]
    assert batches == expected[:7]
    assert (stream.epoch, stream.position) == (3, 1)
    for first in range(0, 6, 2):  # each pass draws 4 distinct samples
        assert len(set(batches[first] + batches[first + 1])) == 4
    assert batches[0:2] != batches[2:4]  # a new order each pass


def test_its_own_seed_gives_its_own_deterministic_order():
    cfg = loader(Numbers(16), batch_size=4)
    teacher = draw(TeacherStream(cfg, seed=1), 8)
    assert draw(TeacherStream(cfg, seed=1), 8) == teacher  # deterministic
    student_order = permutation(16, 0)  # the student's DefaultSampler at the run's seed 0
    assert [i for batch in teacher[:4] for i in batch] != student_order
    assert [i for batch in teacher[:4] for i in batch] == permutation(16, 1)
    # A seed in the sampler's config is the stream's, whatever the default.
    fixed = TeacherStream(loader(Numbers(16), batch_size=4, seed=9), seed=1)
    assert fixed.seed == 9 and draw(fixed, 1)[0] == permutation(16, 9)[:4]


@pytest.mark.parametrize('stop', [1, 2, 3, 4, 5])  # mid-pass, at a pass's end, after cycling
def test_a_resumed_stream_draws_the_batches_of_the_uninterrupted_one(stop):
    uninterrupted = draw(TeacherStream(loader(Numbers(7)), seed=5), 9)
    first = TeacherStream(loader(Numbers(7)), seed=5)
    assert draw(first, stop) == uninterrupted[:stop]
    state = first.state_dict()
    # 3 batches per pass; a pass's end is noticed at the next draw.
    assert state == dict(epoch=(stop - 1) // 3, position=(stop - 1) % 3 + 1, seed=5,
                         num_samples=7, batch_size=2, world_size=1)
    # Another default seed: the saved one is restored.
    resumed = TeacherStream(loader(Numbers(7)), seed=None)
    resumed.load_state_dict(state)
    assert draw(resumed, 9 - stop) == uninterrupted[stop:]
    # The skipped batches were not loaded: only the drawn samples were (the stream holds its
    # own copy of the dataset).
    assert resumed.loader.dataset.loaded == 2 * (9 - stop)


def test_a_position_saved_for_other_data_starts_the_next_pass():
    stream = TeacherStream(loader(Numbers(7)), seed=5)
    stream.load_state_dict(dict(epoch=2, position=1, seed=5, num_samples=9, batch_size=2,
                                world_size=1))
    assert (stream.epoch, stream.position) == (3, 0)
    assert draw(stream, 1)[0] == permutation(7, 5 + 3)[:2]
    with pytest.raises(ConfigError, match=r"teacher_dataloader stream state .* lacks "
                                          r"\['seed', 'num_samples'"):
        stream.load_state_dict(dict(epoch=0, position=0, batch_size=2, world_size=1))


def test_distributed_ranks_draw_their_own_shares(monkeypatch):
    monkeypatch.setattr(teacher_stream, 'get_world_size', lambda: 2)
    shares = []
    for rank in (0, 1):
        monkeypatch.setattr(mmengine_samplers, 'get_dist_info', lambda rank=rank: (rank, 2))
        stream = TeacherStream(loader(Numbers(8)), seed=4)
        shares.append(draw(stream, 4))  # 4 samples per rank: 2 batches per pass
        assert stream.state_dict()['world_size'] == 2
    for epoch in (0, 1):
        order = permutation(8, 4 + epoch)
        rank0 = shares[0][2 * epoch] + shares[0][2 * epoch + 1]
        rank1 = shares[1][2 * epoch] + shares[1][2 * epoch + 1]
        assert rank0 == order[0::2] and rank1 == order[1::2]  # disjoint, together the pass


def test_the_stream_refuses_what_it_cannot_draw_from():
    with pytest.raises(DataError, match=r'teacher_dataloader yields no batch: 3 samples, '
                                        r'batch_size 4, drop_last True'):
        TeacherStream(loader(Numbers(3), batch_size=4), seed=0).next()
    with pytest.raises(DataError, match="teacher_dataloader: the teacher's dataset is empty"):
        TeacherStream(loader(Numbers(0)), seed=0)
    with pytest.raises(ConfigError, match='teacher_dataloader.batch_sampler is not supported'):
        TeacherStream(dict(loader(Numbers(4)), batch_sampler=dict(type='x')), seed=0)
    with pytest.raises(ConfigError, match='must be a dataloader config with a dataset'):
        TeacherStream(dict(batch_size=2), seed=0)
