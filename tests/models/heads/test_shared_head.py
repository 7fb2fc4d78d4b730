"""SharedHead: one weight set for vectors and per-pixel maps; several heads in one pass."""
import pytest
import torch
import torch.nn.functional as F

from fdkd_mm.models.heads import SharedHead, head_losses
from fdkd_mm.models.resize import resize_labels


def test_shared_head_is_relu_then_linear_and_1x1_conv_per_pixel():
    head = SharedHead(in_channels=6, num_classes=3)
    x = torch.randn(4, 6)
    torch.testing.assert_close(head(x), F.linear(torch.relu(x), head.fc.weight, head.fc.bias))
    maps = torch.randn(2, 6, 3, 5)
    dense = head(maps)
    assert dense.shape == (2, 3, 3, 5)
    torch.testing.assert_close(dense[1, :, 2, 4], head(maps[1, :, 2, 4][None])[0])
    assert torch.equal(maps, maps.clone())  # input not modified by an in-place ReLU


def test_vector_loss_is_cross_entropy():
    head = SharedHead(4, 3, loss_weight=0.5)
    x, y = torch.randn(5, 4), torch.tensor([0, 2, 1, 1, 0])
    expected = 0.5 * F.cross_entropy(head(x), y)
    torch.testing.assert_close(head.loss(x, y), expected)


def test_dense_loss_resizes_labels_nearest_and_ignores_255():
    head = SharedHead(4, 3)
    x = torch.randn(1, 4, 2, 2)
    labels = torch.tensor([[[0, 0, 1, 1],
                            [0, 0, 1, 1],
                            [2, 2, 255, 255],
                            [2, 2, 255, 255]]])
    assert resize_labels(labels, (2, 2)).tolist() == [[[0, 1], [2, 255]]]
    logits = head(x)[0]  # (3, 2, 2)
    log_p = torch.log_softmax(logits, dim=0)
    expected = -(log_p[0, 0, 0] + log_p[1, 0, 1] + log_p[2, 1, 0]) / 3
    torch.testing.assert_close(head.loss(x, labels), expected)


def test_all_ignored_gives_zero_not_nan():
    head = SharedHead(4, 3)
    loss = head.loss(torch.randn(1, 4, 2, 2), torch.full((1, 2, 2), 255))
    assert loss.item() == 0.0


def test_width_mismatch_errors_name_the_shape():
    with pytest.raises(ValueError, match=r'expects 6 channels.*\(2, 5\)'):
        SharedHead(6, 3)(torch.randn(2, 5))


@pytest.mark.parametrize('dense', [False, True])
def test_heads_computed_together_equal_each_head_alone(dense):
    """head_losses (one ReLU + one stacked product) against a per-head 1x1-conv reference."""
    torch.manual_seed(0)
    heads = [SharedHead(6, 4, loss_weight=1.0), SharedHead(6, 4, loss_weight=0.5)]
    if dense:
        x = torch.randn(2, 6, 3, 5, requires_grad=True)
        labels = torch.randint(0, 4, (2, 6, 10))
        labels[0, :2] = 255
        small = resize_labels(labels, (3, 5))
    else:
        x = torch.randn(5, 6, requires_grad=True)
        labels = small = torch.tensor([0, 3, 255, 1, 2])

    def reference(head):
        weight = head.fc.weight if not dense else head.fc.weight[:, :, None, None]
        logits = (F.linear if not dense else F.conv2d)(torch.relu(x), weight, head.fc.bias)
        return head.loss_weight * F.cross_entropy(logits, small, ignore_index=255)

    together = head_losses(heads, x, labels)
    expected = [reference(head) for head in heads]
    for got, want in zip(together, expected, strict=True):
        torch.testing.assert_close(got, want)
    grads = torch.autograd.grad(sum(together), [x, heads[1].fc.weight])
    want_grads = torch.autograd.grad(sum(expected), [x, heads[1].fc.weight])
    for got, want in zip(grads, want_grads):
        torch.testing.assert_close(got, want)


def test_heads_computed_together_must_agree_on_classes():
    with pytest.raises(ValueError, match='same num_classes'):
        head_losses([SharedHead(6, 4), SharedHead(6, 3)], torch.randn(2, 6), torch.zeros(2).long())
