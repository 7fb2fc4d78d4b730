"""Section ``amp_loss``: the FD-CMKD loss under autocast equals its float32 value, and is finite.

The loss of the NYU config (dense (N, D, h, w) decode features, label maps) and of the CREMA-D
config (pooled (N, D) vectors, class ids), built from the configs, on random features of the
paper's shapes. For each autocast precision (bf16; fp16 too on CUDA, the default of
``tools/train.py --amp``) two cases, each against float32 outside autocast:

* ``fp32_inputs``: float32 features (a network run in float32, the loss under autocast). The
  decoupling and the band losses switch autocast off and run in float32, so ``distill.*``
  must match to float32 rounding; the heads' GEMMs (``align.*``, ``aux.*``) run in the autocast
  precision.
* ``autocast_inputs``: the features in the autocast precision, as a network run under autocast
  emits them, against float32 on the same rounded values. The decoupler returns its bands in
  its input's precision (computed in float32), so ``distill.*`` carry that rounding.

Tolerances (relative, per loss term; :data:`TOLERANCES`) and the gradient's cosine to the
float32 gradient are stated in the report with the measured values.
"""
import copy
import math
from contextlib import nullcontext

import torch

from common import Context, error_text

CONFIGS = dict(
    nyu=dict(config='configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py', dense=True,
             batch=8, crop=(480, 640), quick_batch=2, quick_crop=(64, 80)),
    cremad=dict(config='configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py', dense=False,
                batch=64, quick_batch=4))
#: (case, term group) -> largest relative difference to float32 accepted.
TOLERANCES = {('fp32_inputs', 'distill'): 1e-5, ('fp32_inputs', 'heads'): 2e-2,
              ('autocast_inputs', 'distill'): 5e-3, ('autocast_inputs', 'heads'): 2e-2}
#: Smallest cosine between the autocast and the float32 gradient of the student features.
MIN_GRAD_COSINE = 0.99
DTYPES = dict(bf16=torch.bfloat16, fp16=torch.float16)


def build_loss(config: str) -> torch.nn.Module:
    """The config's FD-CMKD loss module (its ``distill_losses`` entry of type FDCMKDLoss)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from fdkd_mm.registry import MODELS
    init_default_scope('fdkd_mm')
    cfg = Config.fromfile(config)
    losses = cfg.model.distill_losses.to_dict()
    name = next(n for n, c in losses.items() if str(c['type']).endswith('FDCMKDLoss'))
    return MODELS.build(copy.deepcopy(losses[name]))


def make_inputs(loss: torch.nn.Module, spec: dict, quick: bool, device: torch.device):
    """Random student / teacher features of the paper's shape and labels, on ``device``."""
    gen = torch.Generator().manual_seed(0)
    batch = spec['quick_batch' if quick else 'batch']
    width = loss.in_channels
    if spec['dense']:
        height, width_px = spec['quick_crop' if quick else 'crop']
        shape = (batch, width, height // 4, width_px // 4)  # the decode feature's stride 4
        labels = torch.randint(0, loss.num_classes, (batch, height, width_px), generator=gen)
        labels[:, :4] = 255  # a void border, ignored
    else:
        shape = (batch, width)
        labels = torch.randint(0, loss.num_classes, (batch,), generator=gen)
    student = torch.randn(shape, generator=gen)
    teacher = torch.randn(shape, generator=gen) * 3 + 0.5  # another scale and offset
    return student.to(device), teacher.to(device), labels.to(device)


def evaluate(loss, student, teacher, labels, dtype=None) -> tuple[dict, torch.Tensor]:
    """Loss terms and the gradient of their sum with respect to the student features."""
    student = student.detach().clone().requires_grad_(True)
    context = (torch.autocast(student.device.type, dtype=dtype) if dtype is not None
               else nullcontext())
    with context:
        terms = loss(student, teacher, labels)
    sum(terms.values()).backward()
    return {k: float(v.detach()) for k, v in terms.items()}, student.grad.float()


def compare(values: dict, reference: dict, grad, ref_grad, case: str) -> dict:
    """Relative differences per term, the gradient cosine and the verdict of one case."""
    relative = {k: abs(values[k] - reference[k]) / max(abs(reference[k]), 1e-12)
                for k in reference}
    groups = dict(distill=[k for k in relative if k.startswith('distill.')],
                  heads=[k for k in relative if not k.startswith('distill.')])
    worst = {g: max((relative[k] for k in keys), default=0.0) for g, keys in groups.items()}
    cosine = float(torch.nn.functional.cosine_similarity(grad.flatten(), ref_grad.flatten(),
                                                         dim=0))
    finite = all(math.isfinite(v) for v in values.values()) and bool(grad.isfinite().all())
    passed = (finite and cosine >= MIN_GRAD_COSINE
              and all(worst[g] <= TOLERANCES[(case, g)] for g in worst))
    return dict(values=values, reference=reference, relative=relative, worst=worst,
                grad_cosine=cosine, finite=finite, passed=passed)


def check_config(spec: dict, quick: bool, device: torch.device, precisions: list) -> dict:
    """Both cases of every precision for one config's loss."""
    loss = build_loss(spec['config']).to(device)
    student, teacher, labels = make_inputs(loss, spec, quick, device)
    out = dict(config=spec['config'], shape=list(student.shape))
    reference, ref_grad = evaluate(loss, student, teacher, labels)
    for precision in precisions:
        dtype = DTYPES[precision]
        values, grad = evaluate(loss, student, teacher, labels, dtype)
        out[f'{precision}/fp32_inputs'] = compare(values, reference, grad, ref_grad,
                                                  'fp32_inputs')
        rounded_s, rounded_t = student.to(dtype), teacher.to(dtype)
        rounded_ref, rounded_grad = evaluate(loss, rounded_s.float(), rounded_t.float(),
                                             labels)
        values, grad = evaluate(loss, rounded_s, rounded_t, labels, dtype)
        out[f'{precision}/autocast_inputs'] = compare(values, rounded_ref, grad, rounded_grad,
                                                      'autocast_inputs')
    return out


def run(ctx: Context) -> None:
    """Check the loss of every config in :data:`CONFIGS`; one failing config leaves the rest.

    Args:
        ctx: The section's context; fills ``ctx.result``.
    """
    device = torch.device(ctx.device)
    precisions = ['bf16', 'fp16'] if device.type == 'cuda' else ['bf16']
    ctx.result.update(tolerances={f'{c}/{g}': t for (c, g), t in TOLERANCES.items()},
                      min_grad_cosine=MIN_GRAD_COSINE, precisions=precisions, configs={})
    failures = []
    for name, spec in CONFIGS.items():
        try:
            ctx.result['configs'][name] = check_config(spec, ctx.quick, device, precisions)
        except Exception as error:  # noqa: BLE001 (recorded; the next config still runs)
            ctx.result['configs'][name] = dict(config=spec['config'], error=error_text(error))
            failures.append(name)
        ctx.result.save()
    verdicts = [case['passed'] for cfg in ctx.result['configs'].values()
                for key, case in cfg.items() if isinstance(case, dict) and 'passed' in case]
    ctx.result.put('passed', bool(verdicts) and all(verdicts) and not failures)
    if failures:
        raise RuntimeError(f'the loss check failed for {failures}')
