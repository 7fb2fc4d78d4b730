"""StudentInferencer: exported audio / frame-clip / depth students predict from their files.

Each test distils nothing: it builds a distiller with perturbed weights on a real dataset base
config and synthetic files in the real layouts (wavs, 1-fps frame folders, uint16 depth PNGs),
exports its student, and checks that the inferencer, given only the student's file, predicts
exactly what the distiller predicts for that sample.
"""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from distiller_runs import (distiller_prediction, runner_test, tiny_video_classifier,
                            write_distiller)

from fdkd_mm.apis import StudentInferencer
from fdkd_mm.datasets.audio_visual.cremad import CREMAD_CLASSES
from fdkd_mm.datasets.nyu_depth_v2 import NYU40_CLASSES, NYU40_PALETTE
from fdkd_mm.testing import write_synthetic_cremad, write_synthetic_nyu
from fdkd_mm.apis.export import export_student

BLOCK_PREACT = dict(path='backbone.layer4.1.relu', source='input', call_index=1)
FOLDED_PREACT = dict(path='backbone.backbone.layer4.1.relu', source='input', call_index=1)


@pytest.fixture(scope='module')
def cremad_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('cremad')
    write_synthetic_cremad(str(root), clips_per_class=(1, 1), duration=0.5, frames_per_clip=3,
                           frame_size=(24, 32))
    return root


def cremad_run(tmp_path, cremad_root, cls_distiller_cfg, model_factory, student: str):
    video, audio = tiny_video_classifier(6), model_factory.classifier(1)
    nets = dict(visual=(video, FOLDED_PREACT), audio=(audio, BLOCK_PREACT))
    teacher = 'audio' if student == 'visual' else 'visual'
    model = copy.deepcopy(cls_distiller_cfg)
    model.update(student=nets[student][0], teacher=nets[teacher][0], student_input=student,
                 teacher_input=teacher)
    model['student_recorders']['feat'] = dict(nets[student][1], pool='avg')
    model['teacher_recorders']['feat'] = dict(nets[teacher][1], pool='avg')
    return write_distiller(tmp_path, 'cremad_av.py', model,
                           {'test_dataloader.dataset.data_root': str(cremad_root)},
                           dict(classes=list(CREMAD_CLASSES)))


@pytest.mark.parametrize('student, input_key', [('audio', 'audio_path'),
                                                ('visual', 'frame_dir')])
def test_audio_and_frame_students_predict_like_the_distiller(
        tmp_path, cremad_root, cls_distiller_cfg, model_factory, student, input_key):
    run = cremad_run(tmp_path, cremad_root, cls_distiller_cfg, model_factory, student)
    result = export_student(str(run.checkpoint), str(tmp_path / f'{student}.pth'))
    assert result.kind == 'fdkd_mm'

    expected, info = distiller_prediction(run, index=4)
    inferencer = StudentInferencer(result.config, result.checkpoint, device='cpu')
    # A wav file / a folder of frames, as written on disk; nothing else about the sample.
    prediction = inferencer(info[input_key])['predictions'][0]

    scores = expected.pred_score.numpy()
    np.testing.assert_allclose(prediction['pred_scores'], scores, rtol=1e-5, atol=1e-6)
    assert prediction['pred_label'] == int(scores.argmax())
    assert prediction['pred_class'] == CREMAD_CLASSES[prediction['pred_label']]
    assert prediction['pred_score'] == pytest.approx(float(scores.max()))
    assert abs(sum(prediction['pred_scores']) - 1) < 1e-5


def test_weights_alone_suffice_and_several_inputs_batch(tmp_path, cremad_root,
                                                        cls_distiller_cfg, model_factory):
    run = cremad_run(tmp_path, cremad_root, cls_distiller_cfg, model_factory, 'audio')
    result = export_student(str(run.checkpoint), str(tmp_path / 'audio.pth'))
    expected = [distiller_prediction(run, index) for index in (0, 5)]
    # No config: BaseInferencer reads the deploy config the export stored in meta['cfg'].
    inferencer = StudentInferencer(weights=result.checkpoint, device='cpu')
    predictions = inferencer([info['audio_path'] for _, info in expected],
                             batch_size=2)['predictions']
    for prediction, (sample, _) in zip(predictions, expected):
        np.testing.assert_allclose(prediction['pred_scores'], sample.pred_score.numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_depth_student_segments_a_depth_png_like_the_distiller(tmp_path, seg_distiller_cfg,
                                                               model_factory):
    root = write_synthetic_nyu(tmp_path / 'nyu', num_train=1, num_test=2, height=48, width=64)
    model = copy.deepcopy(seg_distiller_cfg)
    # The depth student of the configs: depth replicated to 3 channels, metres standardised.
    model.update(student=model_factory.segmentor(3, [4.7] * 3, [1.5] * 3, bgr_to_rgb=False),
                 teacher=model['student'], student_input='depth', teacher_input='rgb')
    meta = dict(classes=list(NYU40_CLASSES), palette=NYU40_PALETTE)
    run = write_distiller(tmp_path, 'nyu_rgbd.py', model,
                          {'test_dataloader.dataset.data_root': str(root)}, meta)
    result = export_student(str(run.checkpoint), str(tmp_path / 'depth.pth'))
    assert result.kind == 'fdkd_mm'

    expected, info = distiller_prediction(run, index=1)
    output = StudentInferencer(result.config, result.checkpoint, device='cpu')(
        info['depth_path'], return_vis=True)
    label_map = output['predictions'][0]['sem_seg']
    assert label_map.shape == (48, 64)
    np.testing.assert_array_equal(label_map, expected.pred_sem_seg.data[0].numpy())
    # The colour map is the palette looked up at every pixel.
    np.testing.assert_array_equal(output['visualization'][0],
                                  np.asarray(NYU40_PALETTE, dtype=np.uint8)[label_map])
    # The exported config evaluates the student alone as the distiller config evaluated it.
    ours = runner_test(Path(result.config), Path(result.checkpoint), tmp_path / 'eval_export',
                       str(root))
    theirs = runner_test(run.config, run.checkpoint, tmp_path / 'eval_distiller', str(root))
    assert ours.keys() == theirs.keys() >= {'mIoU', 'aAcc'} and ours == theirs


def test_missing_input_and_plain_exports_are_refused(tmp_path, cremad_root, cls_distiller_cfg,
                                                     model_factory, seg_distiller_cfg):
    run = cremad_run(tmp_path / 'av', cremad_root, cls_distiller_cfg, model_factory, 'audio')
    result = export_student(str(run.checkpoint), str(tmp_path / 'audio.pth'))
    inferencer = StudentInferencer(result.config, result.checkpoint, device='cpu')
    with pytest.raises(FileNotFoundError, match='takes a wav file'):
        inferencer(str(tmp_path / 'missing.wav'))

    # An RGB student exports as a plain mmseg config: the toolbox's inferencers take it.
    root = write_synthetic_nyu(tmp_path / 'nyu', num_train=1, num_test=1, height=32, width=32)
    rgb = write_distiller(tmp_path / 'rgb', 'nyu_rgbd.py', seg_distiller_cfg,
                          {'test_dataloader.dataset.data_root': str(root)},
                          dict(classes=list(NYU40_CLASSES), palette=NYU40_PALETTE))
    plain = export_student(str(rgb.checkpoint), str(tmp_path / 'rgb.pth'))
    assert plain.kind == 'mmseg'
    with pytest.raises(ValueError, match='no `deploy` entry'):
        StudentInferencer(plain.config, plain.checkpoint, device='cpu')


def test_inferencer_loads_strictly(tmp_path, cremad_root, cls_distiller_cfg, model_factory):
    run = cremad_run(tmp_path, cremad_root, cls_distiller_cfg, model_factory, 'audio')
    result = export_student(str(run.checkpoint), str(tmp_path / 'audio.pth'))
    checkpoint = torch.load(result.checkpoint, weights_only=True)
    checkpoint['state_dict'].pop('head.fc.bias')
    broken = tmp_path / 'broken.pth'
    torch.save(checkpoint, broken)
    with pytest.raises(RuntimeError, match='head.fc.bias'):
        StudentInferencer(result.config, str(broken), device='cpu')


def test_text_student_classifies_a_string_like_the_distiller(tmp_path, cls_distiller_cfg,
                                                             model_factory):
    from transformers import BertConfig, BertModel

    from fdkd_mm.testing.synthetic_crisismmd import write_synthetic_crisismmd
    bert = tmp_path / 'bert'  # a tiny BERT directory as save_pretrained writes one
    vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'flood', 'rescue', 'the', 'storm']
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                         num_attention_heads=2, intermediate_size=32,
                         max_position_embeddings=16)).save_pretrained(str(bert))
    (bert / 'vocab.txt').write_text('\n'.join(vocab) + '\n')
    (bert / 'tokenizer_config.json').write_text(
        '{"tokenizer_class": "BertTokenizer", "do_lower_case": true}')
    root = tmp_path / 'crisismmd'
    write_synthetic_crisismmd(str(root), samples_per_split=dict(train=1, dev=1, test=2))
    text_student = dict(
        type='mmpretrain.ImageClassifier', _scope_='mmpretrain',
        data_preprocessor=dict(type='fdkd_mm.TextDataPreprocessor'),
        backbone=dict(type='fdkd_mm.HFTextEncoder', pretrained=str(bert), pooling='cls'),
        neck=None, head=dict(type='LinearClsHead', num_classes=2, in_channels=16))
    model = copy.deepcopy(cls_distiller_cfg)
    model.update(student=text_student, teacher=model_factory.classifier(3),
                 student_input='text', teacher_input='image')
    model['student_recorders']['feat'] = dict(path='backbone', source='output')
    # The BERT's 16-d feature against a 16-d teacher feature: the distiller checks the widths.
    model['teacher_recorders']['feat'] = dict(path='backbone.layer2.1.relu', source='input',
                                              call_index=1, pool='avg')
    model['distill_losses']['loss_fd']['in_channels'] = 16
    options = {'test_dataloader.dataset.data_root': str(root),
               'test_dataloader.dataset.pipeline.0.tokenizer_path': str(bert),
               'test_dataloader.dataset.pipeline.0.max_length': 8}
    run = write_distiller(tmp_path, 'crisismmd_text_image.py', model, options,
                          dict(classes=['not_informative', 'informative']))
    result = export_student(str(run.checkpoint), str(tmp_path / 'text.pth'))
    assert result.kind == 'fdkd_mm'

    expected, info = distiller_prediction(run, index=1)
    prediction = StudentInferencer(result.config, result.checkpoint, device='cpu')(
        info['text'])['predictions'][0]
    np.testing.assert_allclose(prediction['pred_scores'], expected.pred_score.numpy(),
                               rtol=1e-5, atol=1e-6)
    assert prediction['pred_class'] == ['not_informative', 'informative'][
        int(expected.pred_score.argmax())]
