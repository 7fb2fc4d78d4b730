"""Every tool refuses a crafted file from others: nothing of it runs, the error names it.

The tools run for real (``python tools/<tool>.py ...``, all in one fresh interpreter through
``run_tools.py`` so that torch and the toolboxes are imported once) on tiny real configs
(tests/configs/tiny_runs.py) and synthetic data. Each crafted file carries a payload that would
create its own marker file (``payloads.py``; each payload is shown to be live in
``test_payloads.py``). Refusal happens before any training or testing step.

Checked against the protections removed, once each: ``weights_only=False`` in
``load_checkpoint_file`` (resume, test, cache, bank: their markers appear); the old export
(``torch.load(..., weights_only=False)``, ``Config.fromstring`` of ``meta['cfg']``, no type
check of ``meta['cfg_dict']``: the export markers appear); ``pickle.load`` in
``LoadSpectrogram`` and ``audio_file_problems`` (train-AVE and check_data markers appear).
"""
import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import save_checkpoint

from fdkd_mm.checkpoint.config_data import config_to_data
from fdkd_mm.registry import MODELS
from fdkd_mm.testing import write_synthetic_ave, write_synthetic_cremad
from fdkd_mm.testing.tiny_models import seg_fd_distiller_cfg
from payloads import (PYTHON, REPO, code_config_text, command_config, payload_checkpoint,
                      payload_pickle)

sys.path.insert(0, str(REPO / 'tests' / 'configs'))
from tiny_runs import tiny_config  # noqa: E402

FDKD_CREMAD = 'configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py'
FDKD_AVE = 'configs/fdkd/fdkd_r18-audio_r18-visual_ave.py'
UFD_CREMAD = 'configs/unpaired/ufd_r18-audio_r18-visual_cremad.py'
NYU_RGBD = 'configs/_base_/datasets/nyu_rgbd.py'


def dump(cfg: Config, path: Path) -> str:
    cfg.dump(str(path))
    return str(path)


def with_test_loop(cfg: Config) -> Config:
    """tools/test.py needs a test loop: the training data, evaluated by accuracy."""
    cfg.test_dataloader = copy.deepcopy(cfg.train_dataloader)
    cfg.test_dataloader.dataset.test_mode = True
    cfg.test_cfg, cfg.test_evaluator = dict(type='TestLoop'), dict(type='mmpretrain.Accuracy')
    return cfg


def distiller_run(root: Path) -> tuple:
    """A real FD-CMKD distiller checkpoint (RGB-D segmentation) and its config file."""
    cfg = Config.fromfile(str(REPO / NYU_RGBD))
    cfg.model = seg_fd_distiller_cfg()
    distiller = MODELS.build(copy.deepcopy(cfg.model))
    meta = dict(dataset_meta=dict(classes=['wall', 'floor'], palette=[[1, 2, 3], [4, 5, 6]]),
                cfg_dict=config_to_data(cfg), iter=3)
    return cfg, dump(cfg, root / 'distiller_cfg.py'), dict(state_dict=distiller.state_dict(),
                                                           meta=meta)


def write_runs(root: Path) -> list:
    """The crafted files and the tool command lines that meet them."""
    cremad = root / 'cremad'
    write_synthetic_cremad(str(cremad), clips_per_class=(4, 1))
    for name in ('train', 'check_data'):  # an AVE tree each, so each marker tells who ran it
        rows = write_synthetic_ave(str(root / f'ave_{name}'), num_classes=2,
                                   clips_per_class=(1, 1, 1))
        # One of the two training clips' spectrograms (both are in the first batch of two).
        payload_pickle(root / f'ave_{name}' / 'Audio-1004-SE' / f'{rows["train"][0][0]}.pkl',
                       root / f'marker_{name}')

    def config(name: str, source: str, data: str = '') -> Config:
        roots = dict(CremaDDataset=str(cremad), AVEDataset=str(root / f'ave_{data}'))
        return tiny_config(source, roots, '', root / 'work' / name)

    def evil(name: str, **kwargs) -> str:
        return str(payload_checkpoint(root / f'{name}.pth', root / f'marker_{name}', **kwargs))

    fdkd = dump(config('fdkd', FDKD_CREMAD), root / 'fdkd.py')
    tested = dump(with_test_loop(config('test', FDKD_CREMAD)), root / 'test.py')
    ave_train = dump(config('ave', FDKD_AVE, 'train'), root / 'ave_train.py')
    ave_check = dump(config('ave_check', FDKD_AVE, 'check_data'), root / 'ave_check.py')
    ufd = dump(config('ufd', UFD_CREMAD), root / 'ufd.py')
    cfg, distiller_cfg, distiller = distiller_run(root)
    text_only = dict(distiller, meta=dict(cfg=code_config_text(root / 'marker_export_text')))
    save_checkpoint(text_only, str(root / 'export_text.pth'))
    data = config_to_data(cfg)
    data['model']['student'] = command_config(root / 'marker_export_data')['model']
    save_checkpoint(dict(distiller, meta=dict(distiller['meta'], cfg_dict=data)),
                    str(root / 'export_data.pth'))
    out = str(root / 'exported' / 'student.pth')
    return [
        dict(name='resume', tool='tools/train.py', argv=[fdkd, '--resume', evil('resume')]),
        dict(name='test', tool='tools/test.py', argv=[tested, evil('test')]),
        dict(name='cache', tool='tools/cache_teacher.py', argv=[
            fdkd, '--out', str(root / 'cache'), '--device', 'cpu', '--num-workers', '0',
            '--cfg-options', f'model.teacher_ckpt={evil("cache")}']),
        dict(name='bank', tool='tools/build_teacher_bank.py', argv=[
            ufd, '--out', str(root / 'bank.pth'), '--teacher-ckpt', evil('bank'),
            '--device', 'cpu', '--no-progress']),
        dict(name='export', tool='tools/export_student.py', argv=[
            evil('export', base=distiller), out, '--config', distiller_cfg]),
        dict(name='export_legacy', tool='tools/export_student.py', argv=[
            evil('export_legacy', base=distiller, legacy=True), out, '--config',
            distiller_cfg]),
        dict(name='export_text', tool='tools/export_student.py',
             argv=[str(root / 'export_text.pth'), out]),
        dict(name='export_data', tool='tools/export_student.py',
             argv=[str(root / 'export_data.pth'), out]),
        dict(name='check_data', tool='tools/check_data.py', argv=[ave_check, '--no-progress']),
        dict(name='train', tool='tools/train.py', argv=[ave_train]),
    ]


@pytest.fixture(scope='module')
def tool_runs(tmp_path_factory) -> dict:
    """``{name: (exit status, output)}`` of every run, and the folder of the markers."""
    root = tmp_path_factory.mktemp('crafted')
    runs = write_runs(root)
    spec = root / 'runs.json'
    spec.write_text(json.dumps(runs))
    done = subprocess.run([PYTHON, '-u', str(REPO / 'tests' / 'security' / 'run_tools.py'),
                           str(spec)], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=500)
    sections = re.findall(r'=== begin (\w+) ===\n(.*?)=== end \1: exit (\S+) ===\n',
                          done.stdout, re.S)
    assert [name for name, _, _ in sections] == [run['name'] for run in runs], \
        done.stdout[-5000:]
    return dict(root=root, **{name: (code, text) for name, text, code in sections})


def expected_refusals(root: Path) -> dict:
    """Per run, a pattern of the refusal its output must show (each names the file)."""
    def checkpoint(name: str) -> str:
        return re.escape(f'refused to load checkpoint {root / name}.pth: it holds posix.system')

    # Every refusal is a known error (fdkd_mm.errors): printed as one ``error:`` line.
    return {
        'resume': 'error: ' + checkpoint('resume'),
        'test': 'error: ' + checkpoint('test'),
        'cache': 'error: ' + checkpoint('cache'),
        'bank': 'error: ' + checkpoint('bank'),
        'export': 'error: ' + checkpoint('export'),
        'export_legacy': 'error: ' + checkpoint('export_legacy'),
        'export_text': re.escape(f'error: {root / "export_text.pth"} stores its config '
                                 'only as text') + '.*Pass the distiller config with --config',
        'export_data': re.escape(f'error: refused the config stored in '
                                 f'{root / "export_data.pth"}: model.student.type='
                                 "'subprocess.call' is not registered in any registry"),
        'check_data': r'Audio-1004-SE/\w+\.pkl: unsafe pickle, not read \(refused to read '
                      r'\S+\.pkl: the pickle names posix\.system',
        'train': r"error: AVE sample '\w+' is unusable: \S+\.pkl: unsafe pickle, "
                 r'not read \(refused to read \S+\.pkl: the pickle names posix\.system',
    }


@pytest.mark.parametrize('name', ['resume', 'test', 'cache', 'bank', 'export', 'export_legacy',
                                  'export_text', 'export_data', 'check_data', 'train'])
def test_every_tool_refuses_its_crafted_file(tool_runs, name):
    code, output = tool_runs[name]
    assert code == '1', output[-3000:]
    assert re.search(expected_refusals(tool_runs['root'])[name], output), output[-3000:]
    assert not (tool_runs['root'] / f'marker_{name}').exists()


def test_training_stops_before_its_first_step(tool_runs):
    assert 'Iter(train) [1/2]' not in tool_runs['train'][1]
