"""Network configs for a new modality pair: a short list by name, any toolbox zoo config, a
Hugging Face encoder from a local directory, a timm model through mmpretrain's TIMMBackbone.

Every network comes out as a full model dict (zoo references resolved), with its data
preprocessor set for the modality's kind and its number of classes; the head's input width is
left to :func:`fdkd_mm.pairing.probe.probe_network`, which reads it from a dry forward pass.
"""
import copy
import importlib.util
import os.path as osp
from typing import Optional

from fdkd_mm.datasets.manifest.kinds import PIXEL_KINDS
from fdkd_mm.errors import ConfigError

#: Names of the short list -> (task, zoo config).
SHORT_LIST = {
    'resnet18': ('cls', 'mmpretrain::resnet/resnet18_8xb32_in1k.py'),
    'resnet50': ('cls', 'mmpretrain::resnet/resnet50_8xb32_in1k.py'),
    'mobilenet_v2': ('cls', 'mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py'),
    'mobilenet_v3': ('cls', 'mmpretrain::mobilenet_v3/mobilenet-v3-small_8xb128_in1k.py'),
    'deeplabv3plus_r18': (
        'seg', 'mmseg::deeplabv3plus/deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024.py'),
    'deeplabv3plus_r50': (
        'seg', 'mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb2-40k_cityscapes-512x1024.py'),
}
DEFAULTS = dict(cls='resnet18', seg='deeplabv3plus_r18')
IMAGENET_MEAN = [123.675, 116.28, 103.53]
IMAGENET_STD = [58.395, 57.12, 57.375]
#: Backbones whose stem takes another channel count than 3 (``in_channels``).
IN_CHANNELS_BACKBONES = ('ResNet', 'ResNetV1c', 'ResNetV1d', 'ResNet_CIFAR')


def describe_choices() -> str:
    """The accepted network specifications, for help texts and errors."""
    return (f'one of {sorted(SHORT_LIST)}, a zoo config "mmpretrain::<path>" / '
            '"mmseg::<path>", "hf:<local directory>" (a Hugging Face encoder saved with '
            'save_pretrained, never downloaded, its kind read from its config.json: text '
            '(BERT-like, with its tokenizer), vision (ViT, ConvNeXt, ...) or spectrogram audio '
            '(AST); classification only), or '
            '"timm:<model name>" (mmpretrain TIMMBackbone, needs timm)')


def preprocessor_cfg(task: str, kind: str, channels: int, stats: Optional[tuple],
                     size: Optional[tuple]) -> dict:
    """The data preprocessor of a network on one modality kind.

    Args:
        task: ``'cls'`` or ``'seg'``.
        kind: The modality's kind.
        channels: Channels of its packed tensor.
        stats: (mean, std) of its values in the training data (one-channel kinds).
        size: (h, w) segmentation batches are padded to.

    Returns:
        A preprocessor config.
    """
    if kind == 'text':
        return dict(type='fdkd_mm.TextDataPreprocessor')
    if kind == 'video':
        return dict(type='fdkd_mm.VideoDataPreprocessor')
    if kind == 'image':
        mean, std, colour = IMAGENET_MEAN, IMAGENET_STD, True
    else:
        mean_value, std_value = stats if stats else (0.0, 1.0)
        mean, std, colour = [mean_value] * channels, [std_value] * channels, False
    if task == 'seg':
        return dict(type='mmseg.SegDataPreProcessor', mean=mean, std=std, bgr_to_rgb=colour,
                    pad_val=0, seg_pad_val=255, size=tuple(size) if size else None)
    return dict(type='mmpretrain.ClsDataPreprocessor', mean=mean, std=std, to_rgb=colour)


def _zoo_model(cfg_path: str, task: str, num_classes: int, preprocessor: dict) -> dict:
    from fdkd_mm.models.zoo import load_zoo_config, resolve_model_cfg
    package = cfg_path.split('::', 1)[0]
    if (task == 'seg') != (package == 'mmseg'):
        raise ConfigError(f'network {cfg_path!r}: a {package} model does not fit task '
                          f'{task!r} (segmentation takes mmseg models, classification '
                          'mmpretrain ones)')
    try:
        model = resolve_model_cfg(dict(cfg_path=cfg_path, num_classes=num_classes,
                                       data_preprocessor=preprocessor,
                                       norm_cfg=dict(type='BN', requires_grad=True)))
    except (ValueError, FileNotFoundError) as error:
        raise ConfigError(f'network {cfg_path!r}: {error}') from error
    if task == 'cls' and isinstance(model.get('backbone'), dict):
        # The zoo's ImageNet weights for the backbone alone (the head is new). The URL comes
        # from the package's metafile; MMEngine fetches it at the first init_weights.
        try:
            weights = load_zoo_config(cfg_path, with_weights=True).model_path
        except FileNotFoundError:
            weights = None
        if weights:
            model['backbone']['init_cfg'] = dict(type='Pretrained', checkpoint=weights,
                                                 prefix='backbone')
    return model


#: Modality kinds each kind of Hugging Face model reads (see ``hf_encoder.hf_modality``).
HF_KINDS = dict(text=('text', ), vision=PIXEL_KINDS, audio=('audio', ))
HF_BACKBONES = dict(text='fdkd_mm.HFTextEncoder', vision='fdkd_mm.HFVisionEncoder',
                    audio='fdkd_mm.HFAudioEncoder')


def check_hf_network(spec: Optional[str], task: str, kind: str, flag: str) -> Optional[str]:
    """Check that a ``"hf:<directory>"`` network reads the column's kind, from config.json.

    Runs before any data is loaded through the directory (a text column reads its tokenizer
    from there), so a wrong model is named before a tokenizer error could hide it.

    Args:
        spec: The network specification; anything but ``"hf:..."`` passes.
        task: ``'cls'`` or ``'seg'``.
        kind: The column's modality kind.
        flag: How the user named the network (``'--teacher-model'``), for messages.

    Returns:
        The encoder's modality (``'text'``, ``'vision'`` or ``'audio'``); None for other specs.

    Raises:
        ConfigError: Not a local directory, no readable config.json, a model this tool cannot
            use (a waveform audio model, a model of another kind), an encoder of another
            modality than the column, or a segmentation task; names ``flag`` and the
            model_type.
    """
    if not spec or not spec.startswith('hf:'):
        return None
    from fdkd_mm.models.backbones.hf_encoder import hf_modality
    directory = spec[3:]
    where = f'{flag} "hf:{directory}"'
    if not osp.isdir(directory):
        raise ConfigError(f'{where}: not a local directory (weights are never downloaded; '
                          'save_pretrained a model there first)')
    try:
        modality, model_type = hf_modality(directory)
    except ValueError as error:
        raise ConfigError(f'{where}: {error}') from error
    if modality == 'waveform':
        raise ConfigError(f'{where}: model_type {model_type!r} reads raw waveforms; audio '
                          'columns are loaded as log spectrograms here, so give a spectrogram '
                          'encoder (model_type "audio-spectrogram-transformer") or a CNN')
    if modality not in HF_KINDS:
        raise ConfigError(f'{where}: model_type {model_type!r} is not a Hugging Face text, '
                          'vision or audio encoder this tool can use')
    if kind not in HF_KINDS[modality]:
        article = 'an' if modality == 'audio' else 'a'
        raise ConfigError(f'{where}: model_type {model_type!r} is {article} {modality} encoder, '
                          f'the column is {kind!r} ({article} {modality} encoder reads '
                          f'{" / ".join(HF_KINDS[modality])} columns)')
    if task != 'cls':
        raise ConfigError(f'{where}: Hugging Face encoders serve classification only')
    return modality


def _hf_model(directory: str, task: str, kind: str, num_classes: int, preprocessor: dict,
              flag: str) -> dict:
    """An ImageClassifier around the Hugging Face encoder saved in ``directory``."""
    modality = check_hf_network(f'hf:{directory}', task, kind, flag)
    backbone = dict(type=HF_BACKBONES[modality], pretrained=directory)
    if modality == 'text':
        backbone['pooling'] = 'cls'
    return dict(type='mmpretrain.ImageClassifier', _scope_='mmpretrain',
                data_preprocessor=preprocessor,
                backbone=backbone,
                neck=None,
                head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=-1,
                          loss=dict(type='CrossEntropyLoss'), topk=(1, )))


def _timm_model(name: str, channels: int, num_classes: int, preprocessor: dict) -> dict:
    if importlib.util.find_spec('timm') is None:
        raise ConfigError(f'network "timm:{name}": timm is not installed (pip install timm; '
                          "mmpretrain's TIMMBackbone wraps it)")
    return dict(type='mmpretrain.ImageClassifier', _scope_='mmpretrain',
                data_preprocessor=preprocessor,
                backbone=dict(type='TIMMBackbone', model_name=name, pretrained=False,
                              in_channels=channels, features_only=False),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=-1,
                          loss=dict(type='CrossEntropyLoss'), topk=(1, )))


def network_cfg(spec: Optional[str], task: str, kind: str, num_classes: int, channels: int,
                preprocessor: dict, flag: str = 'network') -> dict:
    """The model config of one network of the pair.

    Args:
        spec: The network (:func:`describe_choices`); None takes the task's default.
        task: ``'cls'`` or ``'seg'``.
        kind: The kind of the modality it reads.
        num_classes: Classes of the task.
        channels: Channels of the modality's packed tensor (the stem's input).
        preprocessor: Its data preprocessor (:func:`preprocessor_cfg`).
        flag: How the user named the network (``'--teacher-model'``), for messages.

    Returns:
        A full model dict.

    Raises:
        ConfigError: An unknown name, a network that does not fit the task or the modality,
            a missing package or directory.
    """
    if spec is None:
        if kind == 'text':
            raise ConfigError('a text modality needs --teacher-model / --student-model '
                              '"hf:<local directory>" (a BERT-like encoder and its tokenizer)')
        spec = DEFAULTS[task]
    if spec.startswith('hf:'):
        return _hf_model(spec[3:], task, kind, num_classes, preprocessor, flag)
    if kind == 'text':
        raise ConfigError(f'network {spec!r} cannot read text; give "hf:<local directory>"')
    if spec.startswith('timm:'):
        if task != 'cls':
            raise ConfigError(f'network {spec!r}: timm models serve classification only')
        model = _timm_model(spec[5:], channels, num_classes, preprocessor)
    elif spec in SHORT_LIST:
        spec_task, cfg_path = SHORT_LIST[spec]
        if spec_task != task:
            fitting = [key for key, value in SHORT_LIST.items() if value[0] == task]
            raise ConfigError(f'network {spec!r} is a {spec_task} network, the task is '
                              f'{task!r} (choose from {fitting})')
        model = _zoo_model(cfg_path, task, num_classes, preprocessor)
    elif '::' in spec:
        model = _zoo_model(spec, task, num_classes, preprocessor)
    else:
        raise ConfigError(f'unknown network {spec!r}: give {describe_choices()}')
    return _fit_input(model, spec, kind, channels)


def _fit_input(model: dict, spec: str, kind: str, channels: int) -> dict:
    """Set the stem's input channels, and fold video frames into the batch."""
    model = copy.deepcopy(model)
    backbone = model.get('backbone') or {}
    backbone_type = str(backbone.get('type', '')).split('.')[-1]
    if channels != 3 and backbone_type != 'TIMMBackbone':
        if backbone_type not in IN_CHANNELS_BACKBONES:
            raise ConfigError(f'network {spec!r}: its backbone {backbone_type} takes 3 input '
                              f'channels, the {kind} modality has {channels}; choose a ResNet '
                              '(resnet18 / resnet50) or a timm model')
        backbone['in_channels'] = channels
    if kind == 'video':
        if model.get('type', '').split('.')[-1] != 'ImageClassifier':
            raise ConfigError(f'network {spec!r}: video clips need a classifier')
        scope = model.get('_scope_', 'mmpretrain')
        inner = dict(backbone)
        if '.' not in str(inner.get('type')):
            inner['type'] = f'{scope}.{inner["type"]}'
        model['backbone'] = dict(type='fdkd_mm.FrameFoldingBackbone', backbone=inner)
        model['neck'] = dict(type='GlobalAveragePooling', dim=3)
    return model
