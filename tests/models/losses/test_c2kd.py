"""C2KDLoss against a per-sample loop with scipy's Kendall τ, and its gradient paths."""
import math
import statistics

import pytest
import torch
from scipy.stats import kendalltau

from fdkd_mm.models.losses.c2kd import C2KDLoss, C2KDProxyHead

N, K = 8, 5


def softmax(values):
    exps = [math.exp(v - max(values)) for v in values]
    return [e / sum(exps) for e in exps]


def kl(p, q):
    return sum(a * math.log(a / b) for a, b in zip(p, q))


def naive_c2kd(proxy_s, proxy_t, logits_s, logits_t, target, threshold, non_target):
    batch = len(target)
    student_proxy = teacher_proxy = distill = 0.0
    for n in range(batch):
        q_s, q_t = softmax(proxy_s[n].tolist()), softmax(proxy_t[n].tolist())
        p_s, p_t = softmax(logits_s[n].tolist()), softmax(logits_t[n].tolist())
        student_proxy += (kl(p_s, q_s) + kl(q_s, p_s)) / batch
        teacher_proxy += (kl(p_t, q_t) + kl(q_t, p_t)) / batch
        tau = kendalltau(proxy_t[n].numpy(), proxy_s[n].numpy())[0]
        if tau > threshold:
            t = int(target[n])
            if non_target == 'remove':
                others = [c for c in range(K) if c != t]
                nt_s = softmax([proxy_s[n, c].item() for c in others])
                nt_t = softmax([proxy_t[n, c].item() for c in others])
            else:  # official: the target logit is set to 0 and stays in the softmax
                nt_s = softmax([0.0 if c == t else proxy_s[n, c].item() for c in range(K)])
                nt_t = softmax([0.0 if c == t else proxy_t[n, c].item() for c in range(K)])
            distill += (kl(nt_t, nt_s) + kl(nt_s, nt_t)) / batch  # averaged over all N
    return student_proxy, teacher_proxy, distill


def make_inputs(seed, requires_grad=False):
    gen = torch.Generator().manual_seed(seed)
    tensors = dict(student_feat=torch.randn(N, 4, 3, 3, generator=gen),
                   teacher_feat=torch.randn(N, 6, generator=gen),
                   student_logits=torch.randn(N, K, generator=gen),
                   teacher_logits=torch.randn(N, K, generator=gen) * 2)
    for value in tensors.values():
        value.requires_grad_(requires_grad)
    tensors['target'] = torch.randint(0, K, (N,), generator=gen)
    return tensors


@pytest.mark.parametrize('non_target', ['remove', 'zero_logit'])
def test_matches_per_sample_loop_with_scipy_kendall(non_target):
    torch.manual_seed(0)
    module = C2KDLoss(student_channels=4, teacher_channels=6, num_classes=K, proxy_channels=3,
                      non_target=non_target)
    module.eval()  # proxies with BN running statistics: the same outputs on every call
    inputs = make_inputs(0)
    with torch.no_grad():
        proxy_s = module.student_proxy(inputs['student_feat'])
        proxy_t = module.teacher_proxy(inputs['teacher_feat'])
        taus = [kendalltau(a, b)[0] for a, b in zip(proxy_t.numpy(), proxy_s.numpy())]
        # A threshold at the median keeps some samples and drops others.
        module.kendall_threshold = statistics.median(taus)
        kept = sum(tau > module.kendall_threshold for tau in taus)
        assert 0 < kept < N
        losses = module(**inputs)
    expected = naive_c2kd(proxy_s, proxy_t, inputs['student_logits'], inputs['teacher_logits'],
                          inputs['target'], module.kendall_threshold, non_target)
    assert losses['loss_student_proxy'].item() == pytest.approx(expected[0], rel=1e-5)
    assert losses['loss_teacher_proxy'].item() == pytest.approx(expected[1], rel=1e-5)
    assert losses['loss_proxy_distill'].item() == pytest.approx(expected[2], rel=1e-5)
    assert expected[2] > 0


def test_no_sample_selected_gives_zero():
    module = C2KDLoss(4, 6, K, kendall_threshold=1.0)  # τ > 1 is impossible
    assert module(**make_inputs(1))['loss_proxy_distill'].item() == 0.0
    assert C2KDLoss(4, 6, K).kendall_threshold == 0.0


def test_proxy_head_pools_any_feature_shape():
    head = C2KDProxyHead(4, K).eval()
    feat = torch.randn(3, 4, 5, 5)
    assert head.conv.out_channels == 4 and head.act.negative_slope == 0.1
    assert torch.allclose(head(feat), head(feat.mean(dim=(2, 3))), atol=1e-6)
    assert head(torch.randn(3, 4, 2, 5, 5)).shape == (3, K)


def test_gradient_paths():
    torch.manual_seed(1)
    # A threshold of −1 keeps every sample whose τ is not exactly −1, so the term is active.
    module = C2KDLoss(4, 6, K, kendall_threshold=-1.0)
    inputs = make_inputs(2, requires_grad=True)
    losses = module(**inputs)
    assert losses['loss_proxy_distill'].item() > 0
    # The selective non-target term trains only the proxies (and, through them, the features).
    losses['loss_proxy_distill'].backward(retain_graph=True)
    assert inputs['student_logits'].grad is None and inputs['teacher_logits'].grad is None
    assert inputs['student_feat'].grad.abs().sum() > 0
    assert module.teacher_proxy.fc.weight.grad.abs().sum() > 0
    # The teacher is trainable in C2KD: its logits and features receive gradients.
    (losses['loss_student_proxy'] + losses['loss_teacher_proxy']).backward()
    assert inputs['teacher_logits'].grad.abs().sum() > 0
    assert inputs['teacher_feat'].grad.abs().sum() > 0
    assert inputs['student_logits'].grad.abs().sum() > 0
