"""Exported RGB / image students work with mmseg's and mmpretrain's own APIs, fdkd_mm absent.

The export runs here; the toolboxes' entry points run in a fresh interpreter in which
``import fdkd_mm`` fails (toolbox_inference.py), on image files this test writes, and must
predict exactly what the distiller predicts for the same files.
"""
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
from distiller_runs import distiller_prediction, runner_test, write_distiller
from mmcv.transforms import Compose
from mmengine.dataset import pseudo_collate

from fdkd_mm.datasets.nyu_depth_v2 import NYU40_CLASSES, NYU40_PALETTE
from fdkd_mm.testing import write_synthetic_nyu
from fdkd_mm.apis.export import export_student

HERE = Path(__file__).resolve().parent
IMAGENET = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
CRISIS_CLASSES = ['affected_individuals', 'infrastructure_damage', 'not_humanitarian',
                  'other_relevant', 'rescue_volunteering', 'vehicle_damage']


def image_student_run(directory, cls_distiller_cfg, model_factory):
    """A CrisisMMD text -> image distiller (the image MobileNetV2's preprocessing, BGR->RGB)."""
    student = model_factory.classifier(3)
    student['data_preprocessor'] = dict(type='ClsDataPreprocessor', to_rgb=True, **IMAGENET)
    model = copy.deepcopy(cls_distiller_cfg)
    model.update(student=student, teacher=model_factory.classifier(1), student_input='image',
                 teacher_input='text')
    return write_distiller(directory, 'crisismmd_text_image.py', model, {},
                           dict(classes=CRISIS_CLASSES))


def image_student_prediction(run, image_path):
    """What the distiller's student predicts for one image, through the config's image
    transforms (the distiller's test step runs exactly this: the student on its modality)."""
    pipeline = Compose(run.cfg.image_test_pipeline
                       + [dict(type='fdkd_mm.PackTextImageInputs', modalities=('image', ),
                               plain_inputs=True)])
    batch = pseudo_collate([pipeline(dict(img_path=image_path))])
    with torch.no_grad():
        return run.distiller.student.test_step(batch)[0]


def test_toolbox_apis_run_exported_students_without_fdkd_mm(
        tmp_path, seg_distiller_cfg, cls_distiller_cfg, model_factory):
    root = write_synthetic_nyu(tmp_path / 'nyu', num_train=1, num_test=1, height=48, width=64)
    seg_run = write_distiller(tmp_path / 'seg', 'nyu_rgbd.py', seg_distiller_cfg,
                              {'test_dataloader.dataset.data_root': str(root)},
                              dict(classes=list(NYU40_CLASSES), palette=NYU40_PALETTE))
    seg_expected, seg_info = distiller_prediction(seg_run)
    seg_export = export_student(str(seg_run.checkpoint), str(tmp_path / 'rgb' / 'student.pth'))

    image = tmp_path / 'tweet.jpg'
    cv2.imwrite(str(image), np.random.default_rng(0).integers(0, 256, (180, 260, 3),
                                                              dtype=np.uint8))
    cls_run = image_student_run(tmp_path / 'cls', cls_distiller_cfg, model_factory)
    cls_expected = image_student_prediction(cls_run, str(image))
    cls_export = export_student(str(cls_run.checkpoint), str(tmp_path / 'img' / 'student.pth'))
    assert (seg_export.kind, cls_export.kind) == ('mmseg', 'mmpretrain')

    out = tmp_path / 'out'
    out.mkdir()
    job = dict(out=str(out),
               seg=dict(config=seg_export.config, checkpoint=seg_export.checkpoint,
                        image=seg_info['img_path']),
               cls=dict(config=cls_export.config, checkpoint=cls_export.checkpoint,
                        image=str(image)))
    (tmp_path / 'job.json').write_text(json.dumps(job))
    # fdkd_mm stays on the path (this checkout first): only the blocker keeps it out.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parents[1]),
                                                       os.environ.get('PYTHONPATH', '')]))
    reports = {}
    for task in ('seg', 'cls'):
        result = subprocess.run([sys.executable, str(HERE / 'toolbox_inference.py'), task,
                                 str(tmp_path / 'job.json')], capture_output=True, text=True,
                                cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        reports[task] = json.loads((out / f'{task}_report.json').read_text())
        assert reports[task]['fdkd_mm_loaded'] is False

    # mmseg: init_model + inference_model, MMSegInferencer, show_result_pyplot.
    label_map = seg_expected.pred_sem_seg.data[0].numpy()
    assert label_map.shape == (48, 64)
    np.testing.assert_array_equal(np.load(out / 'seg_api.npy'), label_map)
    np.testing.assert_allclose(np.load(out / 'seg_logits.npy'),
                               seg_expected.seg_logits.data.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(np.load(out / 'seg_inferencer.npy'), label_map)
    assert reports['seg']['seg_dataset_meta']['classes'] == list(NYU40_CLASSES)
    # At opacity 1 the overlay is the palette colour of the predicted class at every pixel.
    np.testing.assert_array_equal(np.load(out / 'seg_overlay.npy'),
                                  np.asarray(NYU40_PALETTE, dtype=np.uint8)[label_map])
    assert cv2.imread(str(out / 'seg_overlay.png')).shape == (48, 64, 3)
    # mmseg's test loop on the plain config scores the student as fdkd_mm's did the distiller.
    theirs = runner_test(seg_run.config, seg_run.checkpoint, tmp_path / 'eval', str(root))
    assert reports['seg']['seg_test_metrics'] == theirs and 'mIoU' in theirs

    # mmpretrain: get_model, ImageClassificationInferencer.
    scores = cls_expected.pred_score.numpy()
    assert reports['cls']['cls_classes'] == CRISIS_CLASSES
    prediction = reports['cls']['cls_inferencer']
    np.testing.assert_allclose(prediction['pred_scores'], scores, rtol=1e-5, atol=1e-6)
    assert prediction['pred_label'] == int(scores.argmax())
    assert prediction['pred_class'] == CRISIS_CLASSES[int(scores.argmax())]
