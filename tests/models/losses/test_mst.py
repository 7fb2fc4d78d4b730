"""MST-Distill's pieces against independent re-derivations of its official formulas.

* the mask network: embedding, multi-head self-attention (written out from its projection
  weights), linear + sigmoid; shapes of the vector and map variants;
* the router: two linear layers, no activation;
* stage 1: six KL terms written as loops, gradients to every network;
* stage 2: each mask's KL towards the detached student, gradients only to the masks;
* stage 3: per-sample top-k picks by sorting, per-sample KL loops, the load-balancing term
  from its definition, the per-epoch weights by replaying the official epoch loop;
  values and gradients (student logits, router) to 1e-6 relative, in float64;
* the dense path (segmentation, official NYU-Depth V2 case): the spatial mask's reduction
  written out, the dense router (official ``GateNet_dense``) from functional convolutions, the
  masked logits as a 1×1 conv of the masked map resampled onto the student's grid, and every
  KL as the official dense ``kl_div(batchmean) · τ² / (H·W)`` with no pixel left out.
"""
import math

import pytest
import torch
import torch.nn.functional as F

from fdkd_mm.errors import ConfigError
from fdkd_mm.models.losses.mst import MSTCoTrainLoss, MSTLoss
from fdkd_mm.models.losses.mst_modules import MSTDenseGateNet, MSTGateNet, MSTMaskNet

TOL = 1e-6
TAU = 4.0


def rel(a, b) -> float:
    return float(((a - b).detach().abs() / b.detach().abs().clamp_min(1e-12)).max())


def kl_loop(student, teacher, tau=TAU):
    """τ² · 1/N Σ_n Σ_c p_t (log p_t − log p_s), one sample and class at a time."""
    total = 0.0
    for s_row, t_row in zip(student, teacher):
        p_t = torch.softmax(t_row / tau, 0)
        log_p_s = torch.log_softmax(s_row / tau, 0)
        total = total + sum(p_t[c] * (torch.log(p_t[c]) - log_p_s[c])
                            for c in range(len(s_row)))
    return tau ** 2 * total / len(student)


def mask_by_hand(net: MSTMaskNet, x):
    """σ(fc(MHA(E x))) with the attention written out from the module's weights."""
    n, c, h = x.shape[0], net.channels, net.hidden
    tokens = (x @ net.embed.weight.T + net.embed.bias).reshape(n, c, h)
    att = net.attention
    heads = att.num_heads
    w_q, w_k, w_v = att.in_proj_weight.chunk(3)
    b_q, b_k, b_v = att.in_proj_bias.chunk(3)
    out = torch.zeros(n, c, h, dtype=x.dtype)
    d = h // heads
    for i in range(n):
        q, k, v = (tokens[i] @ w.T + b for w, b in ((w_q, b_q), (w_k, b_k), (w_v, b_v)))
        parts = []
        for j in range(heads):
            sl = slice(j * d, (j + 1) * d)
            weights = torch.softmax(q[:, sl] @ k[:, sl].T / math.sqrt(d), dim=1)
            parts.append(weights @ v[:, sl])
        out[i] = torch.cat(parts, 1) @ att.out_proj.weight.T + att.out_proj.bias
    return torch.sigmoid(out @ net.fc.weight[0] + net.fc.bias[0])


def test_mask_network_shapes_width_and_formula():
    torch.manual_seed(0)
    net = MSTMaskNet(13, heads=2).double()
    assert net.hidden == 13 // 4 * 2 == 6  # official: C // (2 · heads) · heads
    x = torch.randn(3, 13, dtype=torch.float64)
    mask = net(x)
    assert mask.shape == (3, 13) and bool(((mask > 0) & (mask < 1)).all())
    assert rel(mask, mask_by_hand(net, x)) <= TOL
    assert net(x[:, :, None, None]).shape == (3, 13)  # (N, C, 1, 1) is a vector
    spatial = MSTMaskNet(8, heads=2, spatial=True)
    assert spatial(torch.randn(2, 8, 7, 5)).shape == (2, 8)
    with pytest.raises(ValueError, match='13 channels got a feature of shape'):
        net(torch.randn(3, 12, dtype=torch.float64))
    with pytest.raises(ConfigError, match='channels=5'):
        MSTMaskNet(5, heads=3)


def test_mask_token_width_factor():
    # The default is the official width for every (C, heads) a config could give.
    for channels in range(8, 80):
        for heads in (1, 2, 3, 4):
            assert MSTMaskNet(channels, heads).hidden == channels // (2 * heads) * heads
    # A 1024-d fused feature: the official width 510 gives 1024 * 510 * 1024 embedding
    # weights; an eighth of the width, 126 (128 rounded down to a multiple of 3).
    assert MSTMaskNet(1024, 3).hidden == 510
    small = MSTMaskNet(1024, 3, hidden_factor=0.125)
    assert small.hidden == 126
    assert small.embed.weight.shape == (126 * 1024, 1024)
    assert small(torch.randn(2, 1024)).shape == (2, 1024)
    loss = MSTLoss(6, 1024, 512, mask_hidden_factor=0.125)
    assert (loss.masks['mm'].hidden, loss.masks['cm'].hidden) == (126, 63)
    for bad in (0, -0.5, 1.5):
        with pytest.raises(ConfigError, match='hidden_factor'):
            MSTMaskNet(16, 2, hidden_factor=bad)
    with pytest.raises(ConfigError, match='channels=8 gives no token width'):
        MSTMaskNet(8, 3, hidden_factor=0.25)


def test_router_is_two_linear_layers_without_activation():
    gate = MSTGateNet(4, 2)
    assert gate.fc1.out_features == 8
    z = torch.randn(5, 4)
    expected = (z @ gate.fc1.weight.T + gate.fc1.bias) @ gate.fc2.weight.T + gate.fc2.bias
    assert rel(gate(z), expected) <= TOL


def test_cotrain_six_kl_terms_nothing_detached():
    gen = torch.Generator().manual_seed(1)
    s, t, a = (torch.randn(4, 5, generator=gen, dtype=torch.float64, requires_grad=True)
               for _ in range(3))
    out = MSTCoTrainLoss()(s, t, a)
    expected = dict(loss_student=kl_loop(s, t) + kl_loop(s, a),
                    loss_mm=kl_loop(t, s) + kl_loop(t, a),
                    loss_cm=kl_loop(a, t) + kl_loop(a, s))
    assert set(out) == set(expected)
    for key, value in expected.items():
        assert rel(out[key], value) <= TOL, key
    grads = torch.autograd.grad(sum(out.values()), (s, t, a))
    ref = torch.autograd.grad(sum(expected.values()), (s, t, a))
    for got, want in zip(grads, ref):
        assert rel(got, want) <= TOL
        assert got.abs().sum() > 0


def inputs(seed=2, n=6, k=4, c_mm=12, c_cm=8):
    gen = torch.Generator().manual_seed(seed)
    rand = lambda *shape: torch.randn(*shape, generator=gen, dtype=torch.float64)  # noqa: E731
    return dict(student_logits=rand(n, k).requires_grad_(), mm_feat=rand(n, c_mm),
                mm_head_weight=rand(k, c_mm), mm_head_bias=rand(k), cm_feat=rand(n, c_cm),
                cm_head_weight=rand(k, c_cm), cm_head_bias=rand(k))


def masked_logits(loss: MSTLoss, args: dict, name: str):
    feat = args[f'{name}_feat']
    return (loss.masks[name](feat) * feat) @ args[f'{name}_head_weight'].T \
        + args[f'{name}_head_bias']


def test_mask_stage_pulls_each_masked_teacher_towards_the_detached_student():
    torch.manual_seed(3)
    loss = MSTLoss(4, 12, 8, stage='mask', mask_heads=2).double()
    args = inputs()
    out = loss(**args)
    assert set(out) == {'loss_mask_mm', 'loss_mask_cm'}
    target = args['student_logits'].detach()
    for name in ('mm', 'cm'):
        expected = kl_loop(masked_logits(loss, args, name), target)
        assert rel(out[f'loss_mask_{name}'], expected) <= TOL
        params = list(loss.masks[name].parameters())
        got = torch.autograd.grad(out[f'loss_mask_{name}'], params, retain_graph=True)
        want = torch.autograd.grad(expected, params)
        assert max(rel(g, w) for g, w in zip(got, want)) <= TOL
    total = sum(out.values())
    total.backward()
    assert args['student_logits'].grad is None  # the student is the target only
    assert not any(p.requires_grad for p in loss.gate.parameters())


def official_weights(epoch: int) -> tuple[float, float]:
    """Replay the official loop: after each epoch e, w_lb ×0.9 if e%10==0, w_kl ×0.5 if
    e%30==0."""
    w_kl = w_lb = 1.0
    for e in range(epoch):
        w_lb *= 0.9 if e % 10 == 0 else 1
        w_kl *= 0.5 if e % 30 == 0 else 1
    return w_kl, w_lb


@pytest.mark.parametrize('k, lb_mode, epoch', [(1, 'KL', 0), (2, 'KL', 31), (1, 'CV', 11)])
def test_distill_stage_routes_each_sample_to_its_top_k(k, lb_mode, epoch):
    torch.manual_seed(4)
    loss = MSTLoss(4, 12, 8, stage='distill', k=k, mask_heads=2, lb_mode=lb_mode).double()
    args = inputs(seed=5)
    out = loss(**args, epoch=epoch)
    s = args['student_logits']
    with torch.no_grad():
        experts = [masked_logits(loss, args, 'mm'), masked_logits(loss, args, 'cm')]
    probs = torch.softmax(loss.gate(s), 1)
    kd, picks = 0.0, [0, 0]
    for i in range(k):  # the i-th best teacher of every sample, by sorting its scores
        rows = []
        for n in range(len(s)):
            order = sorted(range(2), key=lambda e: -float(probs[n, e].detach()))
            rows.append(experts[order[i]][n])
            picks[order[i]] += 1
        kd = kd + kl_loop(s, torch.stack(rows))
    kd = kd / k
    if lb_mode == 'KL':  # KLDivLoss(batchmean) on the E-vector: Σ u (log u − log ḡ) / E
        mean = probs.mean(0)
        lb = sum(0.5 * (math.log(0.5) - torch.log(mean[e])) for e in range(2)) / 2
    else:
        imp = probs.sum(0)
        lb = torch.sqrt(((imp - imp.mean()) ** 2).sum() / (2 - 1)) / imp.mean()
    w_kl, w_lb = official_weights(epoch)
    assert loss.weights(epoch) == pytest.approx((w_kl, w_lb), rel=1e-12)
    assert rel(out['loss_kd'], w_kl * kd) <= TOL
    assert rel(out['loss_lb'], w_lb * lb) <= TOL
    assert set(out) == {'loss_kd', 'loss_lb'}  # MMEngine sums every key with 'loss'
    assert loss.routing['mm'].item() == picks[0] / (k * len(s))
    assert loss.routing['cm'].item() == picks[1] / (k * len(s))
    params = [s, *loss.gate.parameters()]
    got = torch.autograd.grad(out['loss_kd'] + out['loss_lb'], params, allow_unused=True)
    want = torch.autograd.grad(w_kl * kd + w_lb * lb, params, allow_unused=True)
    assert max(rel(g, w) for g, w in zip(got, want)) <= TOL
    # The router learns from the load-balancing term only (top-k is not differentiable).
    gate_kd = torch.autograd.grad(out['loss_kd'], list(loss.gate.parameters()),
                                  allow_unused=True, retain_graph=False)
    assert all(g is None for g in gate_kd)
    assert not any(p.requires_grad for p in loss.masks.parameters())
    loss.train()
    assert not loss.masks.training and loss.gate.training  # frozen masks stay in eval


def test_bad_options_are_refused():
    with pytest.raises(ConfigError, match='stage'):
        MSTLoss(4, 12, 8, stage='route')
    with pytest.raises(ConfigError, match='lb_mode'):
        MSTLoss(4, 12, 8, lb_mode='L2')
    with pytest.raises(ConfigError, match='k=3'):
        MSTLoss(4, 12, 8, k=3)


# --- The dense path ---------------------------------------------------------------------------

def dense_kl(student, teacher, tau=TAU):
    """The official dense ``distillation_loss``: batchmean KL · τ² / (H·W) of the student map."""
    return F.kl_div(F.log_softmax(student / tau, dim=1), F.softmax(teacher / tau, dim=1),
                    reduction='batchmean') * tau * tau / (student.shape[2] * student.shape[3])


def reduce_by_hand(net: MSTMaskNet, x):
    """Eval-mode spatial reduction: depthwise 3×3 s2 conv, 1×1 conv, BN, ReLU, spatial mean."""
    dw, pw, bn = net.reduce[0], net.reduce[1], net.reduce[2]
    y = F.conv2d(x, dw.weight, None, stride=2, padding=1, groups=x.shape[1])
    y = torch.einsum('nchw,dc->ndhw', y, pw.weight[:, :, 0, 0])
    y = (y - bn.running_mean[:, None, None]) / torch.sqrt(bn.running_var[:, None, None]
                                                          + bn.eps)
    y = y * bn.weight[:, None, None] + bn.bias[:, None, None]
    return y.clamp_min(0).mean(dim=(2, 3))


def test_spatial_mask_reduces_the_map_then_masks_its_channels():
    torch.manual_seed(6)
    net = MSTMaskNet(8, heads=2, spatial=True).double()
    bn = net.reduce[2]
    bn.running_mean.normal_()
    bn.running_var.uniform_(0.5, 2.0)
    bn.weight.data.normal_()
    bn.bias.data.normal_()
    net.eval()
    x = torch.randn(3, 8, 7, 5, dtype=torch.float64)
    assert rel(net(x), mask_by_hand(net, reduce_by_hand(net, x))) <= TOL


def gate_by_hand(gate: MSTDenseGateNet, z):
    """Official GateNet_dense: 1×1 conv K→2K, ReLU, depthwise 3×3 s2 conv, ReLU, GAP, linear."""
    h = torch.einsum('nkhw,jk->njhw', z, gate.pointwise.weight[:, :, 0, 0]) \
        + gate.pointwise.bias[:, None, None]
    h = F.conv2d(h.clamp_min(0), gate.depthwise.weight, gate.depthwise.bias, stride=2,
                 padding=1, groups=h.shape[1]).clamp_min(0)
    return h.sum(dim=(2, 3)) / (h.shape[2] * h.shape[3]) @ gate.fc.weight.T + gate.fc.bias


def test_dense_router_shapes_and_formula():
    torch.manual_seed(7)
    gate = MSTDenseGateNet(5, 2).double()
    assert gate.pointwise.weight.shape == (10, 5, 1, 1)
    assert gate.depthwise.weight.shape == (10, 1, 3, 3) and gate.depthwise.stride == (2, 2)
    assert gate.fc.weight.shape == (2, 10)
    for size in ((6, 8), (5, 7)):  # even and odd grids (padding 1, stride 2)
        z = torch.randn(3, 5, *size, dtype=torch.float64)
        out = gate(z)
        assert out.shape == (3, 2)
        assert rel(out, gate_by_hand(gate, z)) <= TOL
    with pytest.raises(ValueError, match=r'needs \(N, 5, H, W\) logits'):
        gate(torch.randn(3, 5, dtype=torch.float64))


def dense_inputs(seed=8, n=4, k=5, c_mm=12, c_cm=8, grid=(6, 8), teacher_grid=(6, 8)):
    gen = torch.Generator().manual_seed(seed)
    rand = lambda *shape: torch.randn(*shape, generator=gen, dtype=torch.float64)  # noqa: E731
    return dict(student_logits=rand(n, k, *grid).requires_grad_(),
                mm_feat=rand(n, c_mm, *teacher_grid), mm_head_weight=rand(k, c_mm, 1, 1),
                mm_head_bias=rand(k), cm_feat=rand(n, c_cm, *teacher_grid),
                cm_head_weight=rand(k, c_cm, 1, 1), cm_head_bias=rand(k))


def dense_masked_logits(loss: MSTLoss, args: dict, name: str):
    """1×1 conv of (m ⊙ f) with the classifier's weight and bias, on the student's grid."""
    feat = args[f'{name}_feat']
    mask = loss.masks[name](feat)
    out = F.conv2d(mask[:, :, None, None] * feat, args[f'{name}_head_weight'],
                   args[f'{name}_head_bias'])
    size = args['student_logits'].shape[2:]
    if out.shape[2:] != size:
        out = F.interpolate(out, size=size, mode='bilinear', align_corners=False)
    return out


@pytest.mark.parametrize('teacher_grid', [(6, 8), (12, 16)])
def test_dense_mask_stage_is_the_official_dense_kl(teacher_grid):
    torch.manual_seed(9)
    loss = MSTLoss(5, 12, 8, stage='mask', mask_heads=2, dense=True).double()
    assert loss.masks['mm'].reduce is not None and isinstance(loss.gate, MSTDenseGateNet)
    assert loss.input_channels() == dict(student_logits=5, mm_feat=12, cm_feat=8)
    args = dense_inputs(teacher_grid=teacher_grid)
    out = loss(**args)
    target = args['student_logits'].detach()
    for name in ('mm', 'cm'):
        # The masks are in train mode: their BN uses the batch's statistics in both.
        expected = dense_kl(dense_masked_logits(loss, args, name), target)
        assert rel(out[f'loss_mask_{name}'], expected) <= TOL
        params = list(loss.masks[name].parameters())
        got = torch.autograd.grad(out[f'loss_mask_{name}'], params, retain_graph=True)
        want = torch.autograd.grad(expected, params)
        assert max(rel(g, w) for g, w in zip(got, want)) <= TOL
    sum(out.values()).backward()
    assert args['student_logits'].grad is None


def test_dense_kl_leaves_no_pixel_out():
    """Official: no ignore mask; every pixel of the student's grid weighs 1 / (N·H·W)."""
    s = torch.randn(2, 5, 3, 4, dtype=torch.float64)
    t = torch.randn(2, 5, 3, 4, dtype=torch.float64)
    per_pixel = [kl_loop(s[n, :, i, j][None], t[n, :, i, j][None])
                 for n in range(2) for i in range(3) for j in range(4)]
    expected = sum(per_pixel) / len(per_pixel)
    got = MSTCoTrainLoss()(s, t, t)['loss_student'] / 2
    assert rel(got, expected) <= TOL and rel(dense_kl(s, t), expected) <= TOL


@pytest.mark.parametrize('k, lb_mode, epoch, teacher_grid', [
    (1, 'KL', 0, (6, 8)), (2, 'KL', 31, (6, 8)), (1, 'CV', 11, (12, 16))])
def test_dense_distill_stage_routes_each_sample_to_its_top_k(k, lb_mode, epoch, teacher_grid):
    torch.manual_seed(10)
    loss = MSTLoss(5, 12, 8, stage='distill', k=k, mask_heads=2, lb_mode=lb_mode,
                   dense=True).double()
    args = dense_inputs(seed=11, teacher_grid=teacher_grid)
    out = loss(**args, epoch=epoch)
    s = args['student_logits']
    with torch.no_grad():  # the frozen masks run in eval mode
        experts = [dense_masked_logits(loss, args, 'mm'), dense_masked_logits(loss, args, 'cm')]
    probs = torch.softmax(gate_by_hand(loss.gate, s), 1)
    kd, picks = 0.0, [0, 0]
    for i in range(k):
        rows = []
        for n in range(len(s)):
            order = sorted(range(2), key=lambda e: -float(probs[n, e].detach()))
            rows.append(experts[order[i]][n])
            picks[order[i]] += 1
        kd = kd + dense_kl(s, torch.stack(rows))
    kd = kd / k
    if lb_mode == 'KL':
        mean = probs.mean(0)
        lb = sum(0.5 * (math.log(0.5) - torch.log(mean[e])) for e in range(2)) / 2
    else:
        imp = probs.sum(0)
        lb = torch.sqrt(((imp - imp.mean()) ** 2).sum() / (2 - 1)) / imp.mean()
    w_kl, w_lb = official_weights(epoch)
    assert rel(out['loss_kd'], w_kl * kd) <= TOL
    assert rel(out['loss_lb'], w_lb * lb) <= TOL
    assert loss.routing['mm'].item() == picks[0] / (k * len(s))
    params = [s, *loss.gate.parameters()]
    got = torch.autograd.grad(out['loss_kd'] + out['loss_lb'], params, allow_unused=True)
    want = torch.autograd.grad(w_kl * kd + w_lb * lb, params, allow_unused=True)
    assert max(rel(g, w) for g, w in zip(got, want)) <= TOL
    assert all(g is None for g in torch.autograd.grad(
        out['loss_kd'], list(loss.gate.parameters()), allow_unused=True))


def test_dense_and_vector_inputs_are_not_mixed():
    dense = MSTLoss(5, 12, 8, mask_heads=2, dense=True).double()
    vector = MSTLoss(4, 12, 8, mask_heads=2).double()
    with pytest.raises(ValueError, match='dense=True is for'):
        dense(**inputs())
    with pytest.raises(ValueError, match='needs 2-D student logits'):
        vector(**dense_inputs(k=4))
    bad = dense_inputs()
    bad['cm_feat'] = bad['cm_feat'].mean(dim=(2, 3))
    with pytest.raises(ValueError, match=r'cm teacher feature must be \(N, C, H, W\)'):
        dense(**bad)
