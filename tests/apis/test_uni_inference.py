"""The repository's single-modality configs run in their toolbox's inference API as users call
it: ``mmseg.apis.init_model`` + ``inference_model`` on the NYU RGB and depth Uni configs (an
image / a depth PNG), mmpretrain's ``ImageClassificationInferencer`` on the CrisisMMD image Uni
config. The prediction is compared with the network run by hand on the same file."""
import os.path as osp

import cv2
import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
IMAGENET_MEAN = np.array([123.675, 116.28, 103.53], np.float32)
IMAGENET_STD = np.array([58.395, 57.12, 57.375], np.float32)


def _segment_by_hand(model, chw: np.ndarray) -> np.ndarray:
    """argmax of the segmentor's logits for a normalised (C, H, W) input, at its size."""
    x = torch.from_numpy(chw)[None]
    h, w = chw.shape[1:]
    with torch.no_grad():
        logits = model.inference(x, [dict(img_shape=(h, w), ori_shape=(h, w),
                                          pad_shape=(h, w))])
    return logits.argmax(1)[0].numpy()


def _seg_model(config: str):
    from mmseg.apis import init_model
    torch.manual_seed(0)
    # No padding, so that the hand-run network sees the same tensor.
    return init_model(osp.join(REPO, config), device='cpu',
                      cfg_options={'model.data_preprocessor.size': None})


def test_mmseg_inference_on_rgb_uni(tmp_path):
    from mmseg.apis import inference_model
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    path = str(tmp_path / 'kitchen.png')
    cv2.imwrite(path, bgr)
    model = _seg_model('configs/uni/uni_dlv3p-r18-rgb_nyu.py')
    result = inference_model(model, path)
    predicted = result.pred_sem_seg.data[0].numpy()
    assert predicted.shape == (40, 56)
    rgb = bgr[..., ::-1].astype(np.float32)
    expected = _segment_by_hand(model, ((rgb - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1))
    np.testing.assert_array_equal(predicted, expected)


def test_mmseg_inference_on_depth_uni(tmp_path):
    from mmseg.apis import inference_model
    rng = np.random.default_rng(1)
    millimetres = rng.integers(0, 12000, (40, 56)).astype(np.uint16)
    path = str(tmp_path / 'depth.png')
    cv2.imwrite(path, millimetres)
    model = _seg_model('configs/uni/uni_dlv3p-r18-depth_nyu.py')
    result = inference_model(model, path)
    predicted = result.pred_sem_seg.data[0].numpy()
    metres = np.minimum(millimetres.astype(np.float32) / 1000, 10.0)  # LoadDepthFromFile
    mean, std = model.cfg.depth_preprocessor['mean'][0], model.cfg.depth_preprocessor['std'][0]
    chw = np.repeat(((metres - mean) / std)[None], 3, axis=0).astype(np.float32)
    np.testing.assert_array_equal(predicted, _segment_by_hand(model, chw))


def test_mmpretrain_inferencer_on_image_uni(tmp_path):
    from mmpretrain.apis import ImageClassificationInferencer
    rng = np.random.default_rng(2)
    bgr = rng.integers(0, 256, (300, 260, 3), dtype=np.uint8)
    path = str(tmp_path / 'tweet.png')
    cv2.imwrite(path, bgr)
    torch.manual_seed(0)
    inferencer = ImageClassificationInferencer(
        osp.join(REPO, 'configs/uni/uni_mbv2-image_crisismmd.py'), pretrained=False,
        device='cpu')
    prediction = inferencer(path)[0]
    # By hand: short edge to 256 (260 -> 256, 300 -> 295), centre crop 224, RGB, ImageNet
    # mean / std, the classifier's softmax.
    resized = cv2.resize(bgr, (256, 295), interpolation=cv2.INTER_LINEAR)
    top, left = (295 - 224) // 2, (256 - 224) // 2
    crop = resized[top:top + 224, left:left + 224, ::-1].astype(np.float32)
    x = torch.from_numpy(((crop - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1))[None]
    model = inferencer.model
    with torch.no_grad():
        scores = torch.softmax(model(x, mode='tensor'), dim=1)[0].numpy()
    assert prediction['pred_label'] == int(scores.argmax())
    np.testing.assert_allclose(prediction['pred_scores'], scores, atol=1e-3)
