"""DisjointPartDataset: disjoint, complete, deterministic parts of whole groups."""
import random

import pytest
from mmengine.registry import init_default_scope

from fdkd_mm.datasets.disjoint_parts import (DisjointPartDataset, actor_of, assign_groups,
                                             video_of)
from fdkd_mm.registry import DATASETS
from fdkd_mm.testing import write_synthetic_cremad, write_synthetic_nyu


@pytest.fixture(scope='module')
def cremad_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('cremad')
    write_synthetic_cremad(str(root), clips_per_class=(6, 1))  # 6 actors x 6 emotions
    return root


@pytest.fixture(scope='module')
def nyu_root(tmp_path_factory):
    return write_synthetic_nyu(tmp_path_factory.mktemp('nyu') / 'nyu', num_train=12,
                               num_test=2, frames_per_scene=3)


def cremad(root, **split) -> DisjointPartDataset:
    init_default_scope('fdkd_mm')
    inner = dict(type='CremaDDataset', data_root=str(root), ann_file='train.csv', pipeline=[])
    return DATASETS.build(dict(type='DisjointPartDataset', dataset=inner, **split))


def clips(part: DisjointPartDataset) -> list:
    return [part.get_data_info(i)['clip_id'] for i in range(len(part))]


def test_parts_are_disjoint_complete_and_made_of_whole_actors(cremad_root):
    a = cremad(cremad_root, part='A', group_by='actor', seed=0)
    b = cremad(cremad_root, part='B', group_by='actor', seed=0)
    all_clips = [row.split(',')[0] for row in (cremad_root / 'train.csv').read_text().split()]
    assert len(a) + len(b) == len(all_clips) == 36
    assert set(clips(a)).isdisjoint(clips(b)) and set(clips(a)) | set(clips(b)) == set(all_clips)
    actors_a = {clip.split('_')[0] for clip in clips(a)}
    actors_b = {clip.split('_')[0] for clip in clips(b)}
    assert actors_a.isdisjoint(actors_b) and len(actors_a) == len(actors_b) == 3
    # A sample of the part is the wrapped dataset's sample (pipeline included).
    index = 1
    assert a[index] == a.dataset[a.indices[index]]
    assert a.metainfo['classes'] == a.dataset.metainfo['classes']


def test_parts_are_deterministic_and_independent_of_the_row_order(cremad_root, tmp_path):
    first = clips(cremad(cremad_root, part='A', group_by='actor', seed=3))
    assert clips(cremad(cremad_root, part='A', group_by='actor', seed=3)) == first
    # The same rows in another order give the same groups in part A.
    rows = (cremad_root / 'train.csv').read_text().split()
    random.Random(0).shuffle(rows)
    (cremad_root / 'shuffled.csv').write_text('\n'.join(rows) + '\n')
    init_default_scope('fdkd_mm')
    shuffled = DATASETS.build(dict(
        type='DisjointPartDataset', part='A', group_by='actor', seed=3,
        dataset=dict(type='CremaDDataset', data_root=str(cremad_root), ann_file='shuffled.csv',
                     pipeline=[])))
    assert set(clips(shuffled)) == set(first)
    seeds = {frozenset(clips(cremad(cremad_root, part='A', group_by='actor', seed=s)))
             for s in range(6)}
    assert len(seeds) > 1  # the seed does choose


def test_assign_groups_takes_the_fraction_of_groups():
    groups = [f'g{i}' for i in range(10)]
    parts = assign_groups(groups, 0.3, seed=1)
    assert sorted(parts) == sorted(groups)
    assert sum(p == 'A' for p in parts.values()) == 3
    assert assign_groups(list(reversed(groups)), 0.3, seed=1) == parts
    with pytest.raises(ValueError, match='two non-empty parts with fraction 0.01'):
        assign_groups(groups, 0.01, seed=0)


def test_nyu_frames_split_by_scene(nyu_root):
    init_default_scope('fdkd_mm')
    inner = dict(type='NYUDepthV2Dataset', data_root=str(nyu_root), split='train', pipeline=[])
    parts = {p: DATASETS.build(dict(type='DisjointPartDataset', dataset=inner, part=p,
                                    group_by='scene')) for p in 'AB'}
    scenes = {p: {part.get_data_info(i)['scene'] for i in range(len(part))}
              for p, part in parts.items()}
    # 12 frames, 3 per scene: 4 scenes, 2 in each part, each scene whole.
    assert len(scenes['A']) == len(scenes['B']) == 2 and scenes['A'].isdisjoint(scenes['B'])
    assert len(parts['A']) == len(parts['B']) == 6


def test_a_missing_group_key_and_bad_arguments_are_named(nyu_root, tmp_path):
    init_default_scope('fdkd_mm')
    (tmp_path / 'nyu').mkdir()
    bare = write_synthetic_nyu(tmp_path / 'nyu', num_train=4, num_test=1)
    (bare / 'scenes.txt').unlink()
    inner = dict(type='NYUDepthV2Dataset', data_root=str(bare), split='train', pipeline=[])
    with pytest.raises(KeyError, match=r"group_by='scene' needs the scene of every frame.*"
                                       r"lacks scenes.txt"):
        DATASETS.build(dict(type='DisjointPartDataset', dataset=inner, part='A',
                            group_by='scene'))
    assert len(DATASETS.build(dict(type='DisjointPartDataset', dataset=inner, part='A',
                                   group_by='sample'))) == 2
    with pytest.raises(ValueError, match="part must be 'A' or 'B'"):
        DisjointPartDataset(inner, part='C')
    with pytest.raises(ValueError, match="group_by must be one of"):
        DisjointPartDataset(inner, part='A', group_by='room')
    with pytest.raises(ValueError, match=r'fraction must be a number in \(0, 1\)'):
        DisjointPartDataset(inner, part='A', fraction=1.0)
    with pytest.raises(ValueError, match="needs CREMA-D clip ids"):
        actor_of(dict(clip_id='Ab3x_video'))
    # RAVDESS: the last of seven two-digit fields; a 25th actor is no RAVDESS clip.
    assert actor_of(dict(clip_id='01-01-06-01-02-01-12')) == '12'
    assert actor_of(dict(clip_id='1012_IEO_HAP_HI')) == '1012'
    with pytest.raises(ValueError, match="or RAVDESS ones"):
        actor_of(dict(clip_id='01-01-06-01-02-01-25'))
    with pytest.raises(ValueError, match="needs VGGSound clip ids"):
        video_of(dict(clip_id='1001_DFA_ANG_XX'))


def test_vggsound_clips_of_one_video_share_a_group():
    # YouTube ids may hold underscores; the start time is the last field.
    assert video_of(dict(clip_id='a_b-c_000030')) == video_of(dict(clip_id='a_b-c_000120')) \
        == 'a_b-c'
    assert video_of(dict(clip_id='xyz_000030')) == 'xyz'


def test_nyu_scene_file_must_cover_the_split(tmp_path):
    init_default_scope('fdkd_mm')
    root = write_synthetic_nyu(tmp_path / 'nyu', num_train=4, num_test=1)
    lines = (root / 'scenes.txt').read_text().splitlines()
    (root / 'scenes.txt').write_text('\n'.join(lines[1:]) + '\n')
    with pytest.raises(ValueError, match=r"scenes.txt gives no scene for 1 sample\(s\).*"
                                         r"\['0001'\]"):
        DATASETS.build(dict(type='NYUDepthV2Dataset', data_root=str(root), split='train',
                            pipeline=[]))
