"""FD-CMKD's variant configs (Table 4 / 7 rows, the paper's open questions, the true
pre-activation, wavelet bands) and the mixing configs train and change what they claim to.

Each runs two iterations through MMEngine's Runner on synthetic data (tiny_runs); the logged
loss keys and the built model then show the variant is in effect.
"""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

from fdkd_mm.registry import MODELS as FDKD_MODELS
from tiny_runs import REPO, distill_keys, tiny_config, train

FULL = {'distill.loss_low', 'distill.loss_high', 'align.loss_low_student',
        'align.loss_low_teacher', 'align.loss_high_student', 'align.loss_high_teacher',
        'aux.loss_low', 'aux.loss_high'}


def band_keys(bands) -> set:
    return {f'{kind}_{band}{side}' for band in bands for kind, side in (
        ('distill.loss', ''), ('aux.loss', ''), ('align.loss', '_student'),
        ('align.loss', '_teacher'))}


ABLATION = 'configs/fdkd_ablation'
VARIANTS = {
    # Table 4: Freq + Align on, Scale and Log off.
    f'{ABLATION}/fdkd-freq-align_r18-audio_r18-visual_ave.py': FULL,
    f'{ABLATION}/fdkd-align_r18-visual_r18-audio_cremad.py':
        {'distill.loss_feat', 'align.loss_feat_student', 'align.loss_feat_teacher'},
    'configs/fdkd_cutoff/fdkd-cutoff025_dlv3p-r18-rgb_dlv3p-r18-depth_nyu.py': FULL,
    f'{ABLATION}/fdkd-preact_r18-audio_r18-visual_cremad.py': FULL,
    f'{ABLATION}/fdkd-learnable_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py': FULL,
    f'{ABLATION}/fdkd-multiband4_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py':
        band_keys(f'band{i}' for i in range(4)),
    f'{ABLATION}/fdkd-spatial_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py': FULL,
    f'{ABLATION}/fdkd-wavelet-haar_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py':
        band_keys(('approx', 'detail1')),
    f'{ABLATION}/fdkd-wavelet-db2_r18-audio_r18-visual_cremad.py':
        band_keys(('approx', 'detail3', 'detail2', 'detail1')),
    'configs/mixing/fdkd_segformer-mitb0-depth_dlv3p-r18-rgb_nyu.py': FULL,
    'configs/mixing/fdkd_r18-audio_mbv2-visual_cremad.py': FULL,
    # Zoo students named by cfg_path (mmseg's PSPNet-R18, mmpretrain's MobileNetV3-Small).
    'configs/mixing/fdkd_dlv3p-r18-depth_pspnet-r18-rgb_nyu.py': FULL,
    'configs/mixing/fdkd_r18-audio_mbv3-visual_cremad.py': FULL,
}


@pytest.mark.parametrize('config', list(VARIANTS), ids=[Path(c).stem for c in VARIANTS])
def test_variant_trains_and_logs_its_terms(config, data_roots, tokenizer_dir, tmp_path):
    runner, records = train(tiny_config(config, data_roots, tokenizer_dir, tmp_path / 'work'))
    assert distill_keys(records[0]) == VARIANTS[config]
    fd = runner.model.losses['loss_fd']
    name = Path(config).stem.split('_')[0]
    if name == 'fdkd-freq-align':
        assert fd.ablation == dict(frequency=True, align=True, scale=False, log=False)
        assert not any(loss.standardize for loss in fd.band_losses.values())
        assert fd.band_losses['high'].mode == 'mse'
    if name == 'fdkd-cutoff025':
        assert fd.decoupler.cutoff == 0.25
    if name == 'fdkd-preact':
        recorder = runner.model.student_recorders['feat']
        assert (recorder.path, recorder.source, recorder.call_index) == (
            'backbone.backbone.layer4.1.relu', 'input', 1)
    if name == 'fdkd-learnable':
        # The hook logged the cutoff and annealed the temperature to its final value.
        assert 0.0 < records[-1]['decoupler/cutoff'] < 1.0
        assert records[-1]['decoupler/temperature'] == pytest.approx(0.01)
        assert fd.decoupler.cutoff_logit.requires_grad
    if name == 'fdkd-spatial':
        assert type(fd.decoupler).__name__ == 'SpatialFrequencyDecoupler'
        assert fd.band_losses['low'].centre  # spatial bands keep their channel mean
    if name.startswith('fdkd-wavelet'):
        assert type(fd.decoupler).__name__ == 'WaveletDecoupler'
        assert not fd.band_losses['approx'].centre  # wavelet bands have zero channel mean
    if 'segformer' in config:
        assert type(runner.model.teacher.decode_head).__name__ == 'SegformerHead'
        assert runner.model.connectors['student_feat'].fc.weight.shape == (256, 128)
    if 'mbv2' in config:
        assert type(runner.model.student.backbone.backbone).__name__ == 'MobileNetV2'
        assert runner.model.connectors['student_feat'].fc.weight.shape == (64, 1280)
    if 'pspnet' in config:
        assert type(runner.model.student.decode_head).__name__ == 'PSPHead'
    if 'mbv3' in config:
        assert type(runner.model.student.backbone.backbone).__name__ == 'MobileNetV3'
        assert runner.model.connectors['student_feat'].fc.weight.shape == (64, 576)


def test_segformer_teacher_config_trains_and_its_checkpoint_fits_the_distiller(
        data_roots, tokenizer_dir, tmp_path):
    config = 'configs/mixing/uni_segformer-mitb0-depth_nyu.py'
    runner, _ = train(tiny_config(config, data_roots, tokenizer_dir, tmp_path / 'work'))
    assert type(runner.model.backbone).__name__ == 'MixVisionTransformer'
    # The full-size unimodal model and the distiller's teacher have one state-dict layout, so
    # the teacher checkpoint loads strictly (configs as written).
    init_default_scope('fdkd_mm')
    configs = REPO / 'configs' / 'mixing'
    unimodal = MODELS.build(Config.fromfile(str(configs / Path(config).name)).model)
    teacher = FDKD_MODELS.build(Config.fromfile(  # 'mmseg.EncoderDecoder': a scope prefix
        str(configs / 'fdkd_segformer-mitb0-depth_dlv3p-r18-rgb_nyu.py')).model.teacher)
    layout = {k: v.shape for k, v in unimodal.state_dict().items()}
    assert layout == {k: v.shape for k, v in teacher.state_dict().items()}
