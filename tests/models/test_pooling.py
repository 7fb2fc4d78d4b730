"""pool_recorded: the one pooling rule of recorded tensors (vectors, folded frames, tokens)."""
import pytest
import torch

from fdkd_mm.models.pooling import pool_recorded


def test_avg_pools_space_and_folded_frames():
    feature = torch.arange(2 * 3 * 4 * 2 * 2, dtype=torch.float32).view(6, 4, 2, 2)
    expected = feature.view(2, 3, 4, 4).mean((1, 3))  # frames and the 2x2 grid
    torch.testing.assert_close(pool_recorded(feature, 2, 'avg'), expected)
    torch.testing.assert_close(pool_recorded(feature[:2], 2, 'avg'), feature[:2].mean((2, 3)))


def test_frames_pool_averages_folded_frames_only():
    feature = torch.arange(2 * 3 * 4 * 2 * 2, dtype=torch.float32).view(6, 4, 2, 2)
    torch.testing.assert_close(pool_recorded(feature, 2, 'frames'),
                               feature.view(2, 3, 4, 2, 2).mean(1))


def test_tokens_lay_a_sequence_out_as_a_one_column_map():
    tokens = torch.randn(2, 7, 5)  # (N, L, D)
    pooled = pool_recorded(tokens, 2, 'tokens')
    assert pooled.shape == (2, 5, 7, 1)
    torch.testing.assert_close(pooled[1, :, 3, 0], tokens[1, 3])
    with pytest.raises(ValueError, match=r"pool='tokens' needs \(N, L, D\)"):
        pool_recorded(torch.randn(2, 5), 2, 'tokens')


def test_none_keeps_the_tensor_and_checks_the_batch():
    feature = torch.randn(3, 4, 2, 2)
    assert pool_recorded(feature, 3, None) is feature
    with pytest.raises(ValueError, match=r'does not match the batch of 2; set pool="avg"'):
        pool_recorded(torch.randn(4, 4), 2, None)
    with pytest.raises(ValueError, match='not a multiple of the batch size 2'):
        pool_recorded(torch.randn(3, 4), 2, 'avg')
    with pytest.raises(ValueError, match="pool must be one of .* got 'max'"):
        pool_recorded(feature, 3, 'max')
