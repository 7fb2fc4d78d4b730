"""The demo's honest summary (gain over the baseline with its spread) and its progress lines."""
import math
import sys

from fdkd_mm.reproduction.demo_report import gain_over, verdict_lines
from fdkd_mm.reproduction.progress import EpochProgress, run_logged
from fdkd_mm.reproduction.tables import SeedSummary

NAMES = dict(uni='alone', feat='Feat', fdkd='FD-CMKD')


def row(method, values):
    return SeedSummary(name=method, method=method, dataset='nyu', teacher='depth',
                       student='rgb', seeds=list(range(len(values))),
                       values={'mIoU': list(values)}, paper_metric='mIoU')


def test_gain_and_its_standard_error_by_hand():
    # means 20 and 27; sample variances 1 and 4 over 3 seeds: se = sqrt(1/3 + 4/3).
    diff, error = gain_over(row('fdkd', [25, 27, 29]), row('uni', [19, 20, 21]))
    assert diff == 7 and math.isclose(error, math.sqrt(5 / 3))
    assert gain_over(row('fdkd', [25]), row('uni', [19, 20])) is None


def test_verdict_beyond_and_within_the_spread():
    # The other machine's demo: FD-CMKD 30.98 / 21.23 against alone 18.61 / 17.79.
    lines = verdict_lines([row('uni', [18.61, 17.79]), row('feat', [18.84, 23.52]),
                           row('fdkd', [30.98, 21.23])], NAMES, 'uni')
    assert lines[0].startswith('Feat vs alone: +2.98') and 'within the seed spread' in lines[0]
    assert lines[1].startswith('FD-CMKD vs alone: +7.91') and 'within the seed spread' in lines[1]
    # This machine's: 27.67 / 28.11 against 18.26 / 17.83.
    lines = verdict_lines([row('uni', [18.26, 17.83]), row('fdkd', [27.67, 28.11])], NAMES, 'uni')
    assert 'beyond the seed spread on this machine' in lines[0]
    assert 'fewer than two seeds' in verdict_lines(
        [row('uni', [1.0]), row('fdkd', [2.0])], NAMES, 'uni')[0]


LOG = '''\
12/07 06:30:01 - mmengine - INFO - Epoch(train)  [1][5/6]  base_lr: 1.0e-02 lr: 1.0e-02  eta: 0:01:10  time: 0.50  data_time: 0.01  memory: 0  loss: 3.4512  decode.loss_ce: 3.4
12/07 06:30:02 - mmengine - INFO - Epoch(train)  [1][6/6]  base_lr: 1.0e-02 lr: 1.0e-02  eta: 0:01:09  time: 0.50  data_time: 0.01  memory: 0  loss: 3.3000
12/07 06:30:04 - mmengine - INFO - Epoch(train)  [2][5/6]  base_lr: 1.0e-02 lr: 1.0e-02  eta: 0:01:00  time: 0.50  data_time: 0.01  memory: 0  loss: 2.9000
12/07 06:30:05 - mmengine - INFO - Epoch(val) [2][2/2]    eta: 0:00:00  time: 0.1  data_time: 0.01
12/07 06:30:05 - mmengine - INFO - Epoch(val) [2][2/2]    aAcc: 40.0000  mIoU: 12.5000  mAcc: 20.0000  data_time: 0.01  time: 0.1
12/07 06:30:06 - mmengine - INFO - Epoch(test) [2/2]    mIoU: 12.5000
'''


def test_epoch_progress_one_line_per_epoch_and_evaluation():
    summarise = EpochProgress()
    got = [s for s in map(summarise, LOG.splitlines()) if s]
    assert got == ['epoch 1: loss 3.4512, eta 0:01:10', 'epoch 2: loss 2.9000, eta 0:01:00',
                   'val: aAcc 40.0000, mIoU 12.5000, mAcc 20.0000', 'test: mIoU 12.5000']


def test_run_logged_writes_everything_and_reports_epochs(tmp_path):
    script = tmp_path / 'fake.py'
    script.write_text('import sys\nsys.stdout.write(' + repr(LOG) + ')\nsys.exit(3)\n')
    seen = []
    code = run_logged([sys.executable, str(script)], str(tmp_path), str(tmp_path / 'x.log'),
                      seen.append)
    assert code == 3
    assert (tmp_path / 'x.log').read_text() == LOG
    assert seen[:2] == ['epoch 1: loss 3.4512, eta 0:01:10', 'epoch 2: loss 2.9000, eta 0:01:00']
