"""Building submodules from configs of any OpenMMLab scope."""
import copy
from typing import Union

from mmengine.config import ConfigDict
from mmengine.registry import Registry
from torch import nn

from fdkd_mm.models.zoo import resolve_model_cfg
from fdkd_mm.registry import MODELS


def build_scoped(cfg: Union[dict, nn.Module], registry: Registry = MODELS) -> nn.Module:
    """Build ``cfg`` (or pass a ready module through), honouring a scope prefix in its type.

    MMEngine builds nested, unprefixed types (an ``EncoderDecoder``'s ``ResNetV1c``) in the
    registry of the *default* scope. For ``type='mmseg.EncoderDecoder'`` under
    ``default_scope='fdkd_mm'`` that would look for ``ResNetV1c`` in our registry and fail, so a
    prefixed type gets ``_scope_`` set to its prefix: the whole subtree builds in its own scope.

    Args:
        cfg: Config dict with a ``type`` key, or an already built module.
        registry: Registry to build from. Defaults to fdkd_mm's ``MODELS``.

    Returns:
        The built module.
    """
    if isinstance(cfg, nn.Module):
        return cfg
    # dict(cfg_path='mmseg::...', ...): a model-zoo config by path, resolved to its model dict.
    cfg = resolve_model_cfg(cfg)
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'expected a config dict with a "type" key or an nn.Module, got {cfg!r}')
    # ConfigDict, as a config file would give: OpenMMLab models read nested options as
    # attributes (e.g. mmseg's ``self.test_cfg.mode``).
    cfg = ConfigDict(copy.deepcopy(cfg))
    type_name = cfg['type']
    if isinstance(type_name, str) and '.' in type_name and '_scope_' not in cfg:
        cfg['_scope_'] = type_name.split('.', 1)[0]
    return registry.build(cfg)
