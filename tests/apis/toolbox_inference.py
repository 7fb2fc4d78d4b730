"""Run by test_plain_exports.py in a fresh interpreter where ``import fdkd_mm`` fails.

Loads an exported plain config and weights with one toolbox's own entry points only and
writes what they predict: ``python toolbox_inference.py {seg,cls} JOB.json`` (paths in, ``out``
dir). One toolbox per process, as a user runs them: each leaves its default scope behind.
"""
import importlib.abc
import json
import sys


class BlockFdkdMM(importlib.abc.MetaPathFinder):
    """Make fdkd_mm unimportable, as on a machine where it is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == 'fdkd_mm' or name.startswith('fdkd_mm.'):
            raise ModuleNotFoundError(f'No module named {name!r} (blocked by the test)')
        return None


sys.meta_path.insert(0, BlockFdkdMM())


def main(task: str, job_path: str) -> None:
    try:
        import fdkd_mm  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit('fdkd_mm is importable: the test would prove nothing')

    job = json.load(open(job_path))
    out, report = job['out'], {}
    if task == 'seg':
        report.update(segment(job['seg'], out))
    else:
        report.update(classify(job['cls']))
    report['fdkd_mm_loaded'] = any(name.split('.')[0] == 'fdkd_mm' for name in sys.modules)
    with open(f'{out}/{task}_report.json', 'w') as f:
        json.dump(report, f)


def segment(seg: dict, out: str) -> dict:
    """mmseg: init_model + inference_model, show_result_pyplot, MMSegInferencer, Runner."""
    import numpy as np
    from mmseg.apis import MMSegInferencer, inference_model, init_model, show_result_pyplot
    model = init_model(seg['config'], seg['checkpoint'], device='cpu')
    result = inference_model(model, seg['image'])
    np.save(f'{out}/seg_api.npy', result.pred_sem_seg.data[0].numpy())
    np.save(f'{out}/seg_logits.npy', result.seg_logits.data.numpy())
    overlay = show_result_pyplot(model, seg['image'], result, opacity=1.0, show=False,
                                 with_labels=False, out_file=f'{out}/seg_overlay.png')
    np.save(f'{out}/seg_overlay.npy', overlay)
    prediction = MMSegInferencer(seg['config'], seg['checkpoint'], device='cpu')(
        seg['image'])['predictions']
    np.save(f'{out}/seg_inferencer.npy', np.asarray(prediction))
    # mmseg's test loop on the plain config's own test set (BaseSegDataset), as its
    # tools/test.py runs it.
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(seg['config'])
    cfg.test_dataloader.update(num_workers=0)
    cfg.load_from, cfg.work_dir = seg['checkpoint'], f'{out}/mmseg_test'
    metrics = {k: float(v) for k, v in Runner.from_cfg(cfg).test().items()}
    return dict(seg_dataset_meta=model.dataset_meta, seg_test_metrics=metrics)


def classify(cls: dict) -> dict:
    """mmpretrain: get_model, ImageClassificationInferencer."""
    from mmpretrain.apis import ImageClassificationInferencer, get_model
    report = {}
    model = get_model(cls['config'], pretrained=cls['checkpoint'], device='cpu')
    report['cls_classes'] = list(model._dataset_meta['classes'])
    prediction = ImageClassificationInferencer(
        cls['config'], pretrained=cls['checkpoint'], device='cpu')(cls['image'])[0]
    report['cls_inferencer'] = dict(pred_scores=prediction['pred_scores'].tolist(),
                                    pred_label=int(prediction['pred_label']),
                                    pred_class=prediction['pred_class'])
    return report


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
