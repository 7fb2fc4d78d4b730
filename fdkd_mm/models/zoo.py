"""Model-zoo networks by config path: ``dict(cfg_path='mmseg::pspnet/....py', ...)``.

A teacher or student can name a config of an installed OpenMMLab toolbox instead of spelling out
its model dict, as MMRazor does::

    student=dict(cfg_path='mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
                 pretrained=False, num_classes=40, data_preprocessor=rgb_preprocessor,
                 norm_cfg=dict(type='BN', requires_grad=True))

:func:`resolve_model_cfg` reads the zoo config with MMEngine's ``mmengine.hub.get_config`` and
turns such a dict into the full model dict, typed in the toolbox's scope
(``type='mmseg.EncoderDecoder'``, ``_scope_='mmseg'``), so it builds like any other model.

Keys with a meaning of their own:

* ``cfg_path``: ``'<package>::<config path inside the package's configs>'``.
* ``pretrained``: the zoo's *trained* weights (its metafile entry): ``False`` (default) none,
  ``True`` the metafile's checkpoint, a string: that checkpoint. Loaded at ``init_weights``
  through an ``init_cfg`` of type ``Pretrained`` on the whole model.
* ``backbone_pretrained``: ``False`` drops the backbone initialisation the zoo config names
  (mmseg's model-level ``pretrained``, e.g. ImageNet ``open-mmlab://resnet18_v1c``, and
  ``backbone.init_cfg``); default ``True`` keeps it.
* ``num_classes``: set on every head (``decode_head`` / ``auxiliary_head`` / ``head``, lists of
  cascaded heads included).
* ``data_preprocessor``: *replaces* the zoo's preprocessor (it belongs to the data, not to the
  architecture: another modality has other statistics, or another preprocessor type).
* ``norm_cfg``: replaces every ``norm_cfg`` of the model (mmseg's zoo uses ``SyncBN``; this
  project builds ``BN`` and converts in distributed runs, ``sync_bn='torch'``).

Every other key is merged into the zoo's model dict with MMEngine's config-inheritance rules
(nested dicts merge, ``_delete_=True`` replaces), e.g. ``backbone=dict(in_channels=1)``.
"""
import copy
import importlib.util
from typing import Any, Optional, Union

from mmengine.config import Config, ConfigDict

#: Keys of a zoo reference that are not merged into the model dict as they are.
ZOO_KEYS = ('cfg_path', 'pretrained', 'backbone_pretrained', 'num_classes',
            'data_preprocessor', 'norm_cfg')
#: Model keys that hold a head (or a list of cascaded heads) in mmseg / mmpretrain models.
HEAD_KEYS = ('decode_head', 'auxiliary_head', 'head')


def is_zoo_cfg(cfg: Any) -> bool:
    """Whether ``cfg`` is a zoo reference (a dict with ``cfg_path``)."""
    return isinstance(cfg, dict) and 'cfg_path' in cfg


def split_cfg_path(cfg_path: str) -> tuple[str, str]:
    """``'mmseg::pspnet/x.py'`` → ``('mmseg', 'pspnet/x.py')``.

    Raises:
        ValueError: Without a ``package::`` prefix, or if the package is not installed.
    """
    package, sep, path = str(cfg_path).partition('::')
    if not sep or not package or not path:
        raise ValueError(f"cfg_path={cfg_path!r}: expected '<package>::<config path>', e.g. "
                         "'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'")
    # mmengine.hub would pip-install a missing package; a typo must not reach the network.
    if importlib.util.find_spec(package) is None:
        raise ValueError(f'cfg_path={cfg_path!r}: package {package!r} is not installed')
    return package, path


def load_zoo_config(cfg_path: str, with_weights: bool = False) -> Config:
    """Read a toolbox config by its zoo path (``mmengine.hub.get_config``).

    Args:
        cfg_path: ``'<package>::<config path>'``.
        with_weights: Also look up the metafile's checkpoint URL (``cfg.model_path``).

    Returns:
        The toolbox's config.

    Raises:
        FileNotFoundError: The package ships no such config (or no weights when asked for).
    """
    from mmengine.hub import get_config
    split_cfg_path(cfg_path)
    try:
        cfg = get_config(cfg_path, pretrained=with_weights)
    except (FileNotFoundError, AssertionError, KeyError) as error:
        what = 'config with a metafile checkpoint' if with_weights else 'config'
        raise FileNotFoundError(f'cfg_path={cfg_path!r}: no such {what} in the installed '
                                f'package ({error})') from error
    if with_weights and not cfg.get('model_path'):
        raise FileNotFoundError(f'cfg_path={cfg_path!r}: its metafile names no checkpoint; '
                                'give pretrained=<path or URL>')
    return cfg


def _heads(model: dict) -> list[dict]:
    heads = []
    for key in HEAD_KEYS:
        value = model.get(key)
        for head in (value if isinstance(value, (list, tuple)) else [value]):
            if isinstance(head, dict):
                heads.append(head)
    return heads


def _replace_norm_cfg(node: Any, norm_cfg: dict) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'norm_cfg' and isinstance(value, dict):
                # mmcv passes every key but `type` to the layer: no scope marker may remain
                # (MMEngine adds `_scope_` to dicts inherited from a 'mmseg::' base config).
                node[key] = {k: v for k, v in copy.deepcopy(norm_cfg).items() if k != '_scope_'}
            else:
                _replace_norm_cfg(value, norm_cfg)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _replace_norm_cfg(value, norm_cfg)


def _weights(pretrained: Union[bool, str, None], cfg_path: str) -> Optional[str]:
    if pretrained is None or pretrained is False:
        return None
    if pretrained is True:
        return load_zoo_config(cfg_path, with_weights=True).model_path
    if isinstance(pretrained, str):
        return pretrained
    raise TypeError(f'cfg_path={cfg_path!r}: pretrained must be a bool or a checkpoint path, '
                    f'got {pretrained!r}')


def resolve_model_cfg(cfg: dict) -> dict:
    """Expand a zoo reference into the full model dict; other configs come back unchanged.

    Args:
        cfg: ``dict(cfg_path='<package>::<config>', pretrained=False, **overrides)`` (keys in
            the module docstring), or any model config (returned as is).

    Returns:
        A plain model dict typed in the package's scope (``type='mmseg.EncoderDecoder'``,
        ``_scope_='mmseg'``), with the overrides applied.

    Raises:
        ValueError: Malformed ``cfg_path``, a package that is not installed, or
            ``num_classes`` for a model without a head.
        FileNotFoundError: The package ships no such config.
    """
    if not is_zoo_cfg(cfg):
        return cfg
    spec = copy.deepcopy(dict(cfg))
    cfg_path = spec.pop('cfg_path')
    package, _ = split_cfg_path(cfg_path)
    zoo = load_zoo_config(cfg_path)
    if 'model' not in zoo:
        raise ValueError(f'cfg_path={cfg_path!r} defines no `model`')
    model = ConfigDict(copy.deepcopy(zoo.model))
    # As mmengine.hub.get_model: a top-level data_preprocessor is the model's (mmpretrain).
    if 'data_preprocessor' in zoo and model.get('data_preprocessor') is None:
        model['data_preprocessor'] = copy.deepcopy(zoo.data_preprocessor)

    if 'data_preprocessor' in spec:
        model['data_preprocessor'] = spec.pop('data_preprocessor')
    if spec.get('norm_cfg') is not None:
        _replace_norm_cfg(model, spec.pop('norm_cfg'))
    spec.pop('norm_cfg', None)
    if not spec.pop('backbone_pretrained', True):
        model.pop('pretrained', None)
        if isinstance(model.get('backbone'), dict):
            model['backbone'].pop('init_cfg', None)
            model['backbone'].pop('pretrained', None)
    num_classes = spec.pop('num_classes', None)
    if num_classes is not None:
        heads = _heads(model)
        if not heads:
            raise ValueError(f'cfg_path={cfg_path!r}: num_classes={num_classes} but the model '
                             f'has none of the heads {HEAD_KEYS}; override the head instead')
        for head in heads:
            head['num_classes'] = num_classes
    weights = _weights(spec.pop('pretrained', False), cfg_path)

    model.merge(spec)  # MMEngine's inheritance rules: nested merge, _delete_ replaces
    if weights is not None:
        model['init_cfg'] = dict(type='Pretrained', checkpoint=weights)
    type_name = model.get('type')
    if isinstance(type_name, str) and '.' not in type_name:
        model['type'] = f'{package}.{type_name}'
    model.setdefault('_scope_', package)
    return model.to_dict()
