"""``save_best='auto'`` keeps the checkpoint of the best mIoU (segmentation) or top-1 accuracy.

MMEngine's ``'auto'`` follows the evaluator's first metric, which for mmseg's ``IoUMetric`` is
aAcc (asserted below with MMEngine's hook, the protection removed). The metrics here rise and
fall against each other, so the two rules keep different checkpoints.
"""
import itertools

import pytest
from mmengine.evaluator import BaseMetric, Evaluator

from fdkd_mm.engine.hooks import AtomicCheckpointHook  # noqa: F401  (registers it)
from fdkd_mm.engine.hooks.atomic_checkpoint_hook import preferred_best_metric
from toy_checkpointing import toy_runner

# Per validation (iterations 1, 2, 3): aAcc is best at 1, mIoU and top-1 at 2.
SCORES = dict(aAcc=[90.0, 80.0, 70.0], mIoU=[10.0, 30.0, 20.0], mAcc=[1.0, 2.0, 3.0],
              **{'accuracy/top5': [90.0, 80.0, 70.0], 'accuracy/top1': [10.0, 30.0, 20.0]})


class Scripted(BaseMetric):
    """Returns the keys given, in that order, with the scores of SCORES per validation."""

    def __init__(self, keys) -> None:
        super().__init__()
        self.keys, self.calls = keys, itertools.count()

    def process(self, data_batch, data_samples) -> None:
        self.results.append(0)

    def compute_metrics(self, results) -> dict:
        index = next(self.calls)
        return {key: SCORES[key][index] for key in self.keys}


@pytest.mark.parametrize('keys, expected', [
    (['aAcc', 'mIoU', 'mAcc'], 'best_mIoU_iter_2.pth'),
    (['accuracy/top5', 'accuracy/top1'], 'best_accuracy_top1_iter_2.pth')])
def test_auto_follows_miou_or_top1(tmp_path, keys, expected):
    toy_runner(tmp_path, dict(type='AtomicCheckpointHook', save_best='auto'), max_iters=3,
               val_evaluator=Evaluator([Scripted(keys)])).train()
    assert [p.name for p in tmp_path.glob('best_*.pth')] == [expected]


def test_mmengine_auto_follows_the_first_metric(tmp_path):
    toy_runner(tmp_path, dict(type='CheckpointHook', save_best='auto'), max_iters=3,
               val_evaluator=Evaluator([Scripted(['aAcc', 'mIoU', 'mAcc'])])).train()
    assert [p.name for p in tmp_path.glob('best_*.pth')] == ['best_aAcc_iter_1.pth']


def test_other_metrics_keep_the_first_one():
    assert preferred_best_metric({'loss': 1.0, 'f1': 2.0}) == 'loss'
    assert preferred_best_metric({'val/aAcc': 1.0, 'val/mIoU': 2.0}) == 'val/mIoU'
