"""Find a network's recorder paths and widths from one dry forward pass on real samples.

Classification: the pooled last stage is the input of the head's classifier (``head.fc``,
source ``input``), whatever the backbone; its width sets the head's ``in_channels``.
Segmentation: the decode head's last feature is the output of the last of its direct children
that runs before its classifier ``conv_seg`` and has ``conv_seg``'s input width (DeepLabV3+'s
``sep_bottleneck``, PSPNet's and FCN's ``bottleneck`` / ``convs``).
"""
import copy
from dataclasses import dataclass

import torch
from mmengine.registry import DefaultScope

from fdkd_mm.errors import ConfigError


@dataclass
class ProbeResult:
    """What the dry forward pass found.

    Attributes:
        model: The model config with the head's input width filled in.
        recorders: ``dict(logits=..., feat=...)`` recorder configs.
        feat_width: Channels of ``feat``.
        feat_shape: Shape of ``feat`` for the probed batch (after pooling for classifiers).
    """
    model: dict
    recorders: dict
    feat_width: int
    feat_shape: tuple


def _build(model_cfg: dict):
    from fdkd_mm.registry import MODELS
    with DefaultScope.overwrite_default_scope('fdkd_mm'):
        model = MODELS.build(copy.deepcopy(model_cfg))
    model.eval()
    return model


def _preprocess(model, inputs: list, data_samples: list) -> tuple:
    data = model.data_preprocessor(dict(inputs=list(inputs), data_samples=list(data_samples)),
                                   False)
    return data['inputs'], data['data_samples']


def probe_network(model_cfg: dict, task: str, inputs: list, data_samples: list,
                  name: str) -> ProbeResult:
    """Run the network once on packed samples and locate its logits and feature.

    Args:
        model_cfg: The network config (:func:`fdkd_mm.pairing.networks.network_cfg`).
        task: ``'cls'`` or ``'seg'``.
        inputs: Packed inputs of a few samples (one tensor each).
        data_samples: Their data samples.
        name: ``'teacher'`` or ``'student'``, for messages.

    Returns:
        The filled model config, recorders and feature width.

    Raises:
        ConfigError: The network does not run on the modality, or has no layer where a
            logits / feature recorder can go (names the layers it has).
    """
    model_cfg = copy.deepcopy(model_cfg)
    try:
        with torch.no_grad():
            if task == 'cls':
                return _probe_classifier(model_cfg, inputs, data_samples, name)
            return _probe_segmentor(model_cfg, inputs, data_samples, name)
    except ConfigError:
        raise
    except Exception as error:  # a network that cannot take the modality: say which
        raise ConfigError(f'{name} network {model_cfg.get("type")} '
                          f'({(model_cfg.get("backbone") or {}).get("type")}) fails on a '
                          f'batch of its modality (shape {tuple(inputs[0].shape)}): '
                          f'{type(error).__name__}: {error}') from error


def _probe_classifier(model_cfg: dict, inputs: list, data_samples: list,
                      name: str) -> ProbeResult:
    head = model_cfg.get('head') or {}
    probe_cfg = dict(model_cfg, head=dict(head, in_channels=1))  # any width: not run
    model = _build(probe_cfg)
    batch, samples = _preprocess(model, inputs, data_samples)
    feats = model.extract_feat(batch)
    feat = feats[-1] if isinstance(feats, (tuple, list)) else feats
    if feat.dim() != 2:
        raise ConfigError(f'{name} network: its neck gives {tuple(feat.shape)}, not pooled '
                          '(N, C) features; add neck=dict(type="GlobalAveragePooling")')
    width = int(feat.shape[1])
    model_cfg['head'] = dict(head, in_channels=width)
    model = _build(model_cfg)
    if not hasattr(model, 'head') or not hasattr(model.head, 'fc'):
        raise ConfigError(f'{name} network: no head.fc to record logits from (modules: '
                          f'{[n for n, _ in model.named_children()]})')
    from fdkd_mm.models.recorders import build_recorder
    recorders = dict(logits=dict(path='head.fc'), feat=dict(path='head.fc', source='input'))
    found = {}
    with build_recorder(model, recorders['feat']) as rec_feat, \
            build_recorder(model, recorders['logits']) as rec_logits:
        model(batch, samples, mode='tensor')
        found['feat'], found['logits'] = rec_feat.feature, rec_logits.feature
    if tuple(found['logits'].shape[1:]) != (int(head.get('num_classes', -1)), ):
        raise ConfigError(f'{name} network: head.fc gives {tuple(found["logits"].shape)}, not '
                          f'(N, {head.get("num_classes")}) class logits')
    return ProbeResult(model_cfg, recorders, width, tuple(found['feat'].shape))


def _probe_segmentor(model_cfg: dict, inputs: list, data_samples: list,
                     name: str) -> ProbeResult:
    model = _build(model_cfg)
    decode = getattr(model, 'decode_head', None)
    if decode is None or not hasattr(decode, 'conv_seg'):
        raise ConfigError(f'{name} network: no decode_head.conv_seg to record logits from '
                          f'(modules: {[n for n, _ in model.named_children()]})')
    width = decode.conv_seg.in_channels
    calls, handles = [], []
    for child_name, child in decode.named_children():
        if child_name in ('conv_seg', 'dropout', 'loss_decode'):
            continue
        handles.append(child.register_forward_hook(
            lambda module, args, output, child_name=child_name:
            calls.append((child_name, output))))
    try:
        batch, samples = _preprocess(model, inputs, data_samples)
        model(batch, samples, mode='tensor')
    finally:
        for handle in handles:
            handle.remove()
    fitting = [(child_name, out) for child_name, out in calls
               if torch.is_tensor(out) and out.dim() == 4 and out.shape[1] == width]
    if not fitting:
        raise ConfigError(f'{name} network: no layer of its decode head outputs the '
                          f'{width} channels its classifier reads (ran: '
                          f'{[c for c, _ in calls]}); give the feature recorder by hand')
    child_name, out = fitting[-1]
    recorders = dict(logits=dict(path='decode_head.conv_seg'),
                     feat=dict(path=f'decode_head.{child_name}'))
    return ProbeResult(model_cfg, recorders, width, tuple(out.shape))
