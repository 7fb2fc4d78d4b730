"""Teacher bank statistics against brute-force per-class loops, pooled and dense."""
import numpy as np
import pytest
import torch

from fdkd_mm.models.banks import BankAccumulator, MissingClassError

K, D = 4, 6


def brute_force(rows: np.ndarray, labels: np.ndarray, ignore: int = 255):
    """Per class: count, mean, unbiased variance of the rows with that label, by a loop."""
    counts, means, variances = [], [], []
    for k in range(K):
        members = rows[labels == k]
        counts.append(len(members))
        means.append(members.mean(axis=0))
        variances.append(members.var(axis=0, ddof=1) if len(members) > 1 else np.zeros(D))
    return np.array(counts), np.stack(means), np.stack(variances)


def pooled_data(seed: int = 0, n: int = 23):
    gen = torch.Generator().manual_seed(seed)
    bands = [torch.randn(n, D, generator=gen, dtype=torch.float64) for _ in range(2)]
    labels = torch.arange(n) % K
    logits = torch.randn(n, K, generator=gen, dtype=torch.float64)
    features = torch.randn(n, D, generator=gen)
    keys = [f'clip{i:03d}' for i in range(n)]
    return bands, labels, logits, features, keys


def feed(accumulator, bands, labels, probs, features=None, keys=None, batch=5, order=None):
    order = torch.arange(len(labels)) if order is None else order
    for start in range(0, len(order), batch):
        index = order[start:start + batch]
        accumulator.add([band[index] for band in bands], labels[index], probs[index],
                        features[index] if features is not None else None,
                        [keys[i] for i in index.tolist()] if keys is not None else None)


def test_pooled_statistics_equal_brute_force_per_class_means():
    bands, labels, logits, features, keys = pooled_data()
    probs = torch.softmax(logits, dim=1)
    accumulator = BankAccumulator(K, 2, D, keep_samples=True)
    feed(accumulator, bands, labels, probs, features, keys)
    bank = accumulator.finalize()
    for b, band in enumerate(bands):
        counts, means, variances = brute_force(band.numpy(), labels.numpy())
        np.testing.assert_array_equal(bank['counts'].numpy(), counts)
        np.testing.assert_allclose(bank['means'][b].numpy(), means, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(bank['variances'][b].numpy(), variances, rtol=1e-9,
                                   atol=1e-12)
    expected_dist = np.stack([probs.numpy()[labels.numpy() == k].mean(0) for k in range(K)])
    np.testing.assert_allclose(bank['label_dist'].numpy(), expected_dist, rtol=1e-12)
    np.testing.assert_allclose(bank['label_dist'].sum(1).numpy(), 1.0, rtol=1e-12)
    # The feature bank: every sample once, in key order, with its label.
    torch.testing.assert_close(bank['features'], features, rtol=0, atol=0)
    assert bank['labels'].tolist() == labels.tolist()


def test_dense_statistics_count_pixels_at_the_feature_grid_and_skip_the_ignore_index():
    gen = torch.Generator().manual_seed(1)
    n, h, w = 3, 4, 5
    bands = [torch.randn(n, D, h, w, generator=gen, dtype=torch.float64) for _ in range(2)]
    low_res = torch.randint(0, K, (n, h, w), generator=gen)
    low_res[0, 0, :] = 255  # ignored pixels
    low_res[2, :, 1] = 255
    # Labels at twice the feature resolution, each feature pixel's label on a 2x2 block: the
    # nearest resize to the feature grid must recover `low_res` exactly.
    labels = low_res.repeat_interleave(2, dim=1).repeat_interleave(2, dim=2)
    probs = torch.softmax(torch.randn(n, K, h, w, generator=gen, dtype=torch.float64), dim=1)
    accumulator = BankAccumulator(K, 2, D)
    for i in range(n):
        accumulator.add([band[i:i + 1] for band in bands], labels[i:i + 1], probs[i:i + 1])
    bank = accumulator.finalize()
    flat_labels = low_res.numpy().reshape(-1)  # pixel order n, h, w
    for b, band in enumerate(bands):
        rows = band.numpy().transpose(0, 2, 3, 1).reshape(-1, D)
        counts, means, variances = brute_force(rows, flat_labels)
        assert counts.sum() == (flat_labels != 255).sum()
        np.testing.assert_array_equal(bank['counts'].numpy(), counts)
        np.testing.assert_allclose(bank['means'][b].numpy(), means, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(bank['variances'][b].numpy(), variances, rtol=1e-9,
                                   atol=1e-12)
    prob_rows = probs.numpy().transpose(0, 2, 3, 1).reshape(-1, K)
    expected = np.stack([prob_rows[flat_labels == k].mean(0) for k in range(K)])
    np.testing.assert_allclose(bank['label_dist'].numpy(), expected, rtol=1e-12)
    assert 'features' not in bank and accumulator.layout == 'dense'


def test_the_bank_does_not_depend_on_the_order_of_the_teacher_data():
    bands, labels, logits, features, keys = pooled_data(n=31)
    probs = torch.softmax(logits, dim=1)
    banks = []
    for seed, batch in ((None, 5), (3, 7), (4, 4)):
        generator = torch.Generator().manual_seed(seed or 0)
        order = None if seed is None else torch.randperm(31, generator=generator)
        accumulator = BankAccumulator(K, 2, D, keep_samples=True)
        feed(accumulator, bands, labels, probs, features, keys, batch=batch, order=order)
        banks.append(accumulator.finalize())
    for other in banks[1:]:
        for key in ('counts', 'labels', 'features', 'label_counts'):
            assert torch.equal(other[key], banks[0][key]), key  # bit-exact
        for key in ('means', 'variances', 'label_dist'):
            torch.testing.assert_close(other[key], banks[0][key], rtol=1e-13, atol=1e-15)


def test_a_class_missing_from_the_teacher_data_is_an_error_or_a_warned_skip():
    bands, labels, logits, _, _ = pooled_data()
    keep = labels != 2
    accumulator = BankAccumulator(K, 2, D)
    feed(accumulator, [b[keep] for b in bands], labels[keep], torch.softmax(logits[keep], 1))
    with pytest.raises(MissingClassError, match=r"classes \[2\] \(sad\) have no sample"):
        accumulator.finalize(class_names=['neutral', 'happy', 'sad', 'angry'])
    bank = accumulator.finalize(allow_missing_classes=True)
    assert bank['counts'][2] == 0 and bank['counts'][[0, 1, 3]].min() > 0
    assert torch.all(bank['means'][:, 2] == 0)


def test_labels_outside_the_classes_are_refused():
    bands, labels, logits, _, _ = pooled_data()
    labels = labels.clone()
    labels[3] = 7
    accumulator = BankAccumulator(K, 2, D)
    with pytest.raises(ValueError, match=r'label values \[7\] are neither classes 0..3'):
        accumulator.add(bands, labels, torch.softmax(logits, 1))
