"""AFDLoss against a per-sample re-derivation of the attention and the weighted distances."""
import math

import pytest
import torch

from fdkd_mm.models.losses.afd import AFDLoss

STUDENT_SHAPES = [(3, 4, 4), (5, 2, 2), (2, 6, 6)]   # (C, H, W) per student layer
TEACHER_SHAPES = [(6, 4, 4), (4, 2, 2)]


def make_feats(shapes, batch, gen, requires_grad=False):
    return [torch.randn(batch, *shape, generator=gen).requires_grad_(requires_grad)
            for shape in shapes]


def linear(x, layer):
    return layer.weight @ x + layer.bias


def bn_eval(x, bn):
    return (x - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias


def adaptive_pool(grid, out_h, out_w):
    """Adaptive average pooling of a list-of-lists grid, bins as torch defines them."""
    in_h, in_w = len(grid), len(grid[0])
    out = []
    for i in range(out_h):
        h0, h1 = math.floor(i * in_h / out_h), math.ceil((i + 1) * in_h / out_h)
        row = []
        for j in range(out_w):
            w0, w1 = math.floor(j * in_w / out_w), math.ceil((j + 1) * in_w / out_w)
            cells = [grid[a][b] for a in range(h0, h1) for b in range(w0, w1)]
            row.append(sum(cells) / len(cells))
        out.append(row)
    return out


def attention_value(feat, out_h, out_w):
    """Channel mean of squares, pooled to (out_h, out_w), flattened row-major, ℓ2-normalised."""
    channels, height, width = feat.shape
    energy = [[sum(feat[c, h, w].item() ** 2 for c in range(channels)) / channels
               for w in range(width)] for h in range(height)]
    flat = [v for row in adaptive_pool(energy, out_h, out_w) for v in row]
    norm = math.sqrt(sum(v * v for v in flat))
    return [v / norm for v in flat]


def naive_afd(module, student_feats, teacher_feats):
    d = module.qk_dim
    batch = student_feats[0].shape[0]
    total = 0.0
    for n in range(batch):
        queries = [bn_eval(linear(f[n].mean(dim=(1, 2)), q[0]), q[1])
                   for f, q in zip(teacher_feats, module.query_layers)]
        keys = [torch.relu(bn_eval(linear(f[n].mean(dim=(1, 2)), k[0]), k[1]))
                for f, k in zip(student_feats, module.key_layers)]
        for t, (query, f_t) in enumerate(zip(queries, teacher_feats)):
            logits = []
            for s, key in enumerate(keys):
                pair_key = bn_eval(linear(key, module.bilinear[0]), module.bilinear[1])
                pair_key = pair_key[t * d:(t + 1) * d]
                logits.append((torch.dot(query, pair_key) +
                               torch.dot(module.teacher_pos[t], module.student_pos[s])).item()
                              / math.sqrt(d))
            exps = [math.exp(v - max(logits)) for v in logits]
            alphas = [e / sum(exps) for e in exps]
            _, out_h, out_w = f_t.shape[1:]
            v_t = attention_value(f_t[n], out_h, out_w)
            for s, f_s in enumerate(student_feats):
                v_s = attention_value(f_s[n], out_h, out_w)
                dist = sum((a - b) ** 2 for a, b in zip(v_s, v_t)) / len(v_t)
                total += alphas[s] * dist / batch
    return module.loss_weight * total


def randomise_bn(module, gen):
    for bn in module.modules():
        if isinstance(bn, torch.nn.BatchNorm1d):
            size = bn.num_features
            bn.running_mean.copy_(torch.randn(size, generator=gen))
            bn.running_var.copy_(torch.rand(size, generator=gen) + 0.5)
            with torch.no_grad():
                bn.weight.copy_(torch.rand(size, generator=gen) + 0.5)
                bn.bias.copy_(torch.randn(size, generator=gen))


def test_matches_per_sample_rederivation():
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    module = AFDLoss([c for c, _, _ in STUDENT_SHAPES], [c for c, _, _ in TEACHER_SHAPES],
                     qk_dim=4)
    randomise_bn(module, gen)
    module.eval()  # BN with running statistics: each sample is computed on its own
    student = make_feats(STUDENT_SHAPES, 3, gen)
    teacher = make_feats(TEACHER_SHAPES, 3, gen)
    with torch.no_grad():
        loss = module(student, teacher)
        expected = naive_afd(module, student, teacher)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert module.loss_weight == 200.0 and AFDLoss([2], [2]).qk_dim == 128


def test_attention_is_a_distribution_over_student_layers():
    gen = torch.Generator().manual_seed(1)
    module = AFDLoss([3, 5, 2], [6, 4], qk_dim=8)
    att = module.attention(make_feats(STUDENT_SHAPES, 4, gen), make_feats(TEACHER_SHAPES, 4, gen))
    assert att.shape == (4, 2, 3)
    assert torch.allclose(att.sum(dim=2), torch.ones(4, 2))


def test_gradients_reach_student_and_attention_not_teacher():
    gen = torch.Generator().manual_seed(2)
    module = AFDLoss([3, 5, 2], [6, 4], qk_dim=8)  # train mode: BN uses batch statistics
    student = make_feats(STUDENT_SHAPES, 4, gen, requires_grad=True)
    teacher = make_feats(TEACHER_SHAPES, 4, gen, requires_grad=True)
    loss = module(student, teacher)
    assert torch.isfinite(loss)
    loss.backward()
    assert all(f.grad is not None and f.grad.abs().sum() > 0 for f in student)
    assert all(f.grad is None for f in teacher)
    assert module.teacher_pos.grad.abs().sum() > 0
    assert module.query_layers[0][0].weight.grad.abs().sum() > 0


def test_wrong_number_of_layers_raises():
    module = AFDLoss([3], [6])
    with pytest.raises(ValueError, match='expected 1 student and 1 teacher'):
        module([torch.zeros(2, 3, 2, 2)] * 2, [torch.zeros(2, 6, 2, 2)])
