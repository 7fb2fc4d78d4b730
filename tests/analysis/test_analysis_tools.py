"""The tools/analysis scripts end to end on the NYU configs, synthetic data and real models."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from fdkd_mm.analysis import plots

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DISTILLER = osp.join(REPO, 'configs', 'fdkd', 'fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py')
DEPTH = osp.join(REPO, 'configs', 'uni', 'uni_dlv3p-r18-depth_nyu.py')


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, 'tools', 'analysis',
                                                                 f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def nyu_root(tmp_path_factory) -> str:
    from fdkd_mm.testing import write_synthetic_nyu
    root = tmp_path_factory.mktemp('nyu')
    write_synthetic_nyu(root, num_train=1, num_test=4)
    return str(root)


def distiller_args(nyu_root: str, out) -> list[str]:
    return [DISTILLER, '--cfg-options', f'test_dataloader.dataset.data_root={nyu_root}',
            'model.teacher_ckpt=None', '--batch-size', '2', '--no-progress',
            '--out', str(out)]


def png_size(path: str) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == 'PNG'
        pixels = np.asarray(image.convert('L'))
    assert pixels.std() > 10  # something was drawn, not a blank canvas
    return image.size


def expected_size(inches: tuple[float, float]) -> tuple[int, int]:
    return round(inches[0] * plots.DPI), round(inches[1] * plots.DPI)


def test_feature_scale_png(nyu_root, tmp_path):
    png, data = load_tool('feature_scale').main(distiller_args(nyu_root, tmp_path))
    assert png_size(png) == expected_size(plots.FEATURE_SCALE_SIZE)
    means = json.loads(open(data).read())
    assert set(means) == {'student', 'teacher'} and len(means['student']) == 128


def test_spectrum_png_marks_the_cutoff(nyu_root, tmp_path):
    png, data = load_tool('spectrum').main(distiller_args(nyu_root, tmp_path) +
                                           ['--cutoff', '0.25'])
    assert png_size(png) == expected_size(plots.SPECTRUM_SIZE)
    result = json.loads(open(data).read())
    assert result['dim'] == 128 and result['low_bins'] == [1, 16]
    assert all(0.0 < share < 1.0 for share in result['low_band_energy_share'].values())
    assert len(result['energy']['teacher']) == 65


def test_tsne_png(nyu_root, tmp_path):
    (png,) = load_tool('tsne').main(distiller_args(nyu_root, tmp_path) +
                                    ['--points-per-sample', '8'])
    assert osp.basename(png) == 'tsne.png'
    assert png_size(png) == expected_size(plots.TSNE_SIZE)


def test_similarity_of_a_model_with_itself_is_one_in_every_band(nyu_root, tmp_path):
    """Two-config mode with checkpoints: the same weights on the same modality agree fully."""
    from fdkd_mm.analysis.features import build_model, load_config
    ckpt = tmp_path / 'depth.pth'
    model = build_model(load_config(DEPTH))
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    options = [f'test_dataloader.dataset.data_root={nyu_root}']
    result = load_tool('cross_modal_similarity').main([
        DEPTH, str(ckpt), '--pair-config', DEPTH, '--pair-checkpoint', str(ckpt),
        '--cfg-options', *options, '--pair-cfg-options', *options, '--max-samples', '3',
        '--batch-size', '2', '--no-progress', '--out', str(tmp_path)])
    assert result['similarity'] == pytest.approx({'raw': 1.0, 'low': 1.0, 'high': 1.0},
                                                 abs=1e-4)
    # 3 samples of 64x80 images: 16x20 feature pixels each.
    assert result['pairs'] == 3 * 16 * 20
    written = json.loads((tmp_path / 'cross_modal_similarity.json').read_text())
    assert written['similarity'] == result['similarity']


def test_similarity_of_student_and_teacher_is_a_table(nyu_root, tmp_path, capsys):
    result = load_tool('cross_modal_similarity').main(distiller_args(nyu_root, tmp_path))
    assert (result['a'], result['b']) == ('student', 'teacher')
    assert set(result['similarity']) == {'raw', 'low', 'high'}
    # Dense decode features: one pair per feature pixel of every test image (4 of 16x20).
    assert result['pairs'] == 4 * 16 * 20
    printed = capsys.readouterr().out
    for band, name in (('low', 'low band'), ('high', 'high band')):
        assert f'| {name} | {result["similarity"][band]:.4f} |' in printed
