"""tools/train.py --tensorboard: event files beside scalars.json, loss terms grouped."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from fdkd_mm.engine.vis_backends import loss_group_tag
from fdkd_mm.testing import write_synthetic_nyu
from fdkd_mm.testing.overrides import nyu_cpu_overrides

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize('name, tag', [
    ('distill.loss_low', 'distill/loss_low'), ('align.loss_high_teacher',
                                               'align/loss_high_teacher'),
    ('aux.loss_band0', 'aux/loss_band0'), ('student.decode.loss_ce', 'student/decode.loss_ce'),
    ('teacher.loss', 'teacher/loss'), ('loss', 'loss'), ('lr', 'lr'), ('mIoU', 'mIoU'),
    ('accuracy/top1', 'accuracy/top1'), ('decode.loss_ce', 'decode.loss_ce')])
def test_loss_terms_get_their_group_as_tensorboard_prefix(name, tag):
    assert loss_group_tag(name) == tag


def test_two_iterations_write_grouped_tensorboard_scalars(tmp_path):
    root = write_synthetic_nyu(tmp_path / 'nyu', num_train=8, num_test=1, height=48, width=64)
    options = nyu_cpu_overrides(str(root), 1, ['model.student', 'model.teacher'], crop=(48, 64))
    options += ['model.teacher_ckpt=None', 'default_hooks.logger.interval=1',
                'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=100',
                'default_hooks.checkpoint.save_last=False']
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO),
                                                       os.environ.get('PYTHONPATH', '')]))
    result = subprocess.run(
        [sys.executable, 'tools/train.py', 'configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py',
         '--tensorboard',
         '--work-dir', str(tmp_path / 'work'), '--cfg-options', *options],
        capture_output=True, text=True, cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr[-4000:]

    (vis_data, ) = glob.glob(str(tmp_path / 'work' / '*' / 'vis_data'))
    assert glob.glob(osp.join(vis_data, 'events.out.tfevents.*'))
    events = EventAccumulator(vis_data)
    events.Reload()
    tags = set(events.Tags()['scalars'])
    assert {'distill/loss_low', 'distill/loss_high', 'align/loss_low_student',
            'align/loss_high_teacher', 'aux/loss_low', 'student/decode.loss_ce', 'loss',
            'lr'} <= tags
    assert not any(tag.startswith(('distill.', 'align.', 'aux.', 'student.')) for tag in tags)
    assert 'loss_groups/text_summary' in events.Tags()['tensors']

    # Every loss point is the value LocalVisBackend wrote for the ungrouped key.
    with open(osp.join(vis_data, 'scalars.json')) as f:
        logged = [json.loads(line) for line in f if line.strip()]
    train = {record['step']: record for record in logged if 'loss' in record}
    assert sorted(train) == [1, 2]
    grouped = [tag for tag in tags if tag.split('/')[0] in ('distill', 'align', 'aux', 'student')]
    for tag in grouped + ['loss']:
        key = tag.replace('/', '.', 1)
        assert [e.step for e in events.Scalars(tag)] == [1, 2], tag
        for event in events.Scalars(tag):
            assert event.value == pytest.approx(train[event.step][key], rel=1e-5), tag
