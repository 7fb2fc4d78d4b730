"""StackModalities: RGB-D early fusion of a BGR image and a depth map, by hand."""
import numpy as np
import pytest

from fdkd_mm.datasets.transforms import StackModalities


def test_bgr_image_and_depth_become_one_rgbd_map():
    img = np.zeros((2, 3, 3), np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = 10, 20, 30  # B, G, R
    depth = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = StackModalities()(dict(img=img, depth=depth))['rgbd']
    assert out.shape == (2, 3, 4) and out.dtype == np.float32
    assert out[0, 0].tolist() == [30, 20, 10, 0] and out[1, 2].tolist() == [30, 20, 10, 5]


def test_maps_of_different_sizes_are_refused():
    with pytest.raises(ValueError, match=r"different sizes \{'img': \(2, 3\), 'depth': \(3, 3\)\}"):
        StackModalities()(dict(img=np.zeros((2, 3, 3)), depth=np.zeros((3, 3))))
