"""Label and map resizing shared by heads and losses."""
import torch

from fdkd_mm.models.resize import match_grid, resize_labels


def test_labels_resize_nearest_and_keep_the_ignore_value():
    labels = torch.tensor([[[0, 1, 255, 3],
                            [4, 5, 255, 7]]])  # (1, 2, 4)
    resized = resize_labels(labels, (1, 2))
    # Nearest picks the top-left sample of each 2x2 cell: columns 0 and 2 of row 0.
    assert resized.tolist() == [[[0, 255]]]
    assert resized.dtype == torch.long
    assert resize_labels(labels[:, None], (2, 4)).tolist() == labels.tolist()  # (N, 1, H, W)


def test_teacher_maps_follow_the_student_grid_and_vectors_pass():
    student = torch.zeros(1, 3, 4, 4)
    teacher = torch.arange(4.0).view(1, 1, 2, 2).expand(1, 3, 2, 2)
    resampled = match_grid(teacher, student)
    assert resampled.shape == (1, 3, 4, 4)
    # Bilinear, align_corners=False: the corners keep the corner values.
    assert resampled[0, 0, 0, 0] == 0 and resampled[0, 0, -1, -1] == 3
    assert match_grid(teacher, teacher) is teacher
    vectors = torch.randn(2, 3)
    assert match_grid(vectors, torch.randn(2, 5)) is vectors
