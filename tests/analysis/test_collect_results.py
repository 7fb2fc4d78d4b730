"""collect_results: last and best validation metric of MMEngine work dirs as a Markdown table."""
import importlib.util
import json
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, 'tools', 'analysis',
                                                                 f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_scalars(run_dir, lines):
    (run_dir / 'vis_data').mkdir(parents=True)
    (run_dir / 'vis_data' / 'scalars.json').write_text(
        '\n'.join(json.dumps(line) for line in lines) + '\n')


def test_table_from_scalars_of_resumed_runs_and_from_a_log(tmp_path):
    seg = tmp_path / 'nyu_depth_to_rgb_no_log'
    write_scalars(seg / '20250101_000000', [
        dict(lr=0.01, loss=3.2, epoch=1, iter=5, step=5),
        dict(aAcc=60.0, mIoU=30.5, mAcc=40.0, step=5),
        dict(lr=0.009, loss=2.9, epoch=10, iter=50, step=50),
        dict(aAcc=61.0, mIoU=33.25, mAcc=41.0, step=10)])
    # Resumed later: a newer run folder continues the history.
    write_scalars(seg / '20250102_000000', [dict(aAcc=61.5, mIoU=32.0, mAcc=41.5, step=15)])
    cls = tmp_path / 'cremad_feat'
    (cls / '20250103_000000').mkdir(parents=True)
    (cls / '20250103_000000' / '20250103_000000.log').write_text(
        '2025/01/03 - mmengine - INFO - Epoch(val) [5][3/12]    eta: 0:00:01  time: 0.3\n'
        '2025/01/03 - mmengine - INFO - Epoch(val) [5][12/12]    accuracy/top1: 55.5000  '
        'data_time: 0.0026  time: 0.3704\n'
        '2025/01/03 - mmengine - INFO - Epoch(val) [10][12/12]    accuracy/top1: 61.2500  '
        'data_time: 0.0026  time: 0.3704\n')
    out = tmp_path / 'table.md'
    table = load_tool('collect_results').main([str(seg), str(cls), '--out', str(out)])
    rows = table.splitlines()
    assert rows[0] == '| run | metric | last | best | best at step | evaluations |'
    assert rows[2] == '| nyu_depth_to_rgb_no_log | mIoU | 32.00 | 33.25 | 10 | 3 |'
    assert rows[3] == '| cremad_feat | accuracy/top1 | 61.25 | 61.25 | 10 | 2 |'
    assert out.read_text().strip() == table


def test_unknown_metric_lists_the_keys_found(tmp_path):
    run = tmp_path / 'run'
    write_scalars(run / '20250101_000000', [dict(aAcc=60.0, step=1)])
    with pytest.raises(ValueError, match="aAcc"):
        load_tool('collect_results').main([str(run)])
