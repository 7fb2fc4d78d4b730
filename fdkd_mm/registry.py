"""Registries of fdkd_mm: children of MMEngine's root registries under the scope ``fdkd_mm``.

Every registry names the modules that fill it in ``locations``, so a config that only says
``default_scope='fdkd_mm'`` (or ``custom_imports=dict(imports=['fdkd_mm'])``) can build our types
without importing the package first. Types of other toolboxes build from the same config with a
scope prefix, e.g. ``type='mmseg.EncoderDecoder'`` or ``type='mmpretrain.ImageClassifier'``.

A registry exists for every root so that MMEngine, which switches to the registry of the default
scope before building, finds one for ours instead of warning and falling back.

``MODELS.build`` (:func:`build_model`) also builds a prefixed type's whole subtree in its own
scope, resolves model-zoo references (``cfg_path``) and passes ready modules through, so every
nested model of a config builds the same way wherever it is built.
"""
from collections.abc import Mapping
from typing import Any

from mmengine.config import ConfigDict
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry, build_model_from_cfg
from torch import nn

SCOPE = 'fdkd_mm'


def _copy_nesting(value: Any) -> Any:
    """A copy of a config's dicts, lists and tuples; other values (a ready module) shared."""
    if isinstance(value, Mapping):
        return {key: _copy_nesting(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_copy_nesting(item) for item in value)
    return value


def build_model(cfg: Any, registry: Registry, *args, **kwargs) -> nn.Module:
    """The build function of :data:`MODELS`: any scope, zoo references, ready modules.

    MMEngine builds nested, unprefixed types (an ``EncoderDecoder``'s ``ResNetV1c``) in the
    registry of the *default* scope; for ``type='mmseg.EncoderDecoder'`` under
    ``default_scope='fdkd_mm'`` that would look for ``ResNetV1c`` in ours and fail. So a
    prefixed type gets ``_scope_`` set to its prefix (as MMRazor's builder does) and the whole
    subtree builds in its own scope.

    Args:
        cfg: A config dict with ``type``; a zoo reference ``dict(cfg_path='mmseg::...', ...)``
            (resolved by :func:`fdkd_mm.models.zoo.resolve_model_cfg`); a list of configs (an
            ``nn.Sequential``, as MMEngine's default); or an already built module, returned as
            it is.
        registry: The registry building it (:data:`MODELS`).
        *args: Positional arguments of the constructor.
        **kwargs: Keyword arguments of the constructor.

    Returns:
        The built module.

    Raises:
        TypeError: ``cfg`` is neither a module nor a config with a ``type``.
    """
    if isinstance(cfg, nn.Module):
        return cfg
    if isinstance(cfg, list):  # as MMEngine's default: a Sequential of the items
        return nn.Sequential(*(build_model(item, registry, *args, **kwargs) for item in cfg))
    from fdkd_mm.models.zoo import resolve_model_cfg  # imports the models, which import us
    cfg = resolve_model_cfg(cfg)
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'expected a config dict with a "type" key or an nn.Module, got {cfg!r}')
    # A copy, which constructors may change (mmpretrain's sets data_preprocessor defaults), as
    # a ConfigDict: OpenMMLab models read nested options as attributes (mmseg's test_cfg.mode).
    cfg = ConfigDict(_copy_nesting(cfg))
    type_name = cfg['type']
    if isinstance(type_name, str) and '.' in type_name and '_scope_' not in cfg:
        cfg['_scope_'] = type_name.split('.', 1)[0]
    return build_model_from_cfg(cfg, registry, *args, **kwargs)


def _child(name: str, parent: Registry, *locations: str) -> Registry:
    """Create a child registry of ``parent`` in our scope, filled from ``locations``."""
    return Registry(name, parent=parent, scope=SCOPE, locations=list(locations))


# Models: distillers, decouplers, losses, heads, connectors, backbones, data preprocessors.
MODELS = Registry('model', parent=MMENGINE_MODELS, scope=SCOPE,
                  locations=['fdkd_mm.models', 'fdkd_mm.teacher_cache.cached'],
                  build_func=build_model)
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS, 'fdkd_mm.models')
WEIGHT_INITIALIZERS = _child('weight initializer', MMENGINE_WEIGHT_INITIALIZERS,
                             'fdkd_mm.models')
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS, 'fdkd_mm.models')

# Data.
DATASETS = _child('dataset', MMENGINE_DATASETS, 'fdkd_mm.datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, 'fdkd_mm.datasets')
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, 'fdkd_mm.datasets.transforms')
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, 'fdkd_mm.datasets')

# Evaluation (metrics come from mmseg / mmpretrain; none of our own).
METRICS = _child('metric', MMENGINE_METRICS)
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR)

# Training engine.
RUNNERS = _child('runner', MMENGINE_RUNNERS)
RUNNER_CONSTRUCTORS = _child('runner constructor', MMENGINE_RUNNER_CONSTRUCTORS)
LOOPS = _child('loop', MMENGINE_LOOPS)
HOOKS = _child('hook', MMENGINE_HOOKS, 'fdkd_mm.engine')
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS)
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS)

# Visualization and logging.
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS)
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, 'fdkd_mm.engine')
LOG_PROCESSORS = _child('log_processor', MMENGINE_LOG_PROCESSORS)
