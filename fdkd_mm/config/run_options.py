"""One flag per common change of a run: data root, batch size, workers, epochs, threads, pipeline.

Every tool that loads a config (``tools/train.py``, ``test.py``, ``cache_teacher.py``,
``check_data.py``, and ``reproduce.py``, which passes them on) adds these with
:func:`add_run_options` and applies them with :func:`apply_run_options` right after loading the
config. Each flag reaches every place of the config that carries the setting, whatever the
config kind (Uni, distiller, cache, teacher bank):

* ``--data-root``: every dataset of every ``*_dataloader`` (below wrappers such as
  ``DisjointPartDataset`` and in ``ConcatDataset`` lists). ``--cfg-options data_root=X`` is
  taken as ``--data-root X``: the top-level variable alone would change nothing, the configs
  expanded it when they were read. Another top-level variable the config has expanded (e.g.
  ``num_classes``) is refused, naming the keys that carry it.
* ``--batch-size`` and ``--workers``: every loader (``--workers 0`` also turns persistent
  workers off). Without ``--workers`` a loader never gets more workers than the machine has
  cores.
* ``--epochs``: ``train_cfg.max_epochs``; the validation and checkpoint intervals and the
  ends of the epoch-based parameter schedulers follow.
* ``--threads``: ``torch.set_num_threads`` in this process and ``OMP_NUM_THREADS`` /
  ``MKL_NUM_THREADS`` for its workers and subprocesses.
* ``--pipeline-options``: named pipeline parameters
  (:mod:`fdkd_mm.config.pipeline_options`).
* ``--small-run``: the dataset's small CPU recipe (:mod:`fdkd_mm.config.small_runs`) for every
  flag not given.
"""
import argparse
import logging
import os
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, Optional

from fdkd_mm.config.pipeline_options import (KNOBS, apply_pipeline_options,
                                             parse_pipeline_options)
from fdkd_mm.errors import ConfigError

#: The ``argparse`` destinations of the run options.
RUN_OPTIONS = ('data_root', 'batch_size', 'workers', 'epochs', 'threads', 'pipeline_options',
               'small_run')


def _log(message: str, level: int = logging.INFO) -> None:
    from mmengine.logging import print_log
    print_log(message, logger='current', level=level)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be at least 1, got {text}')
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f'must be 0 or more, got {text}')
    return value


def add_run_options(parser: argparse.ArgumentParser,
                    skip: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    """Add the run options (:data:`RUN_OPTIONS`, less ``skip``) to a tool's parser.

    Args:
        parser: The tool's parser.
        skip: Destinations not to add (e.g. ``('epochs',)`` for a tool that does not train).

    Returns:
        ``parser``.
    """
    group = parser.add_argument_group(
        'run options', 'one flag per common change, applied to every loader and pipeline of '
        'the config (docs/small_runs.md)')
    if 'data_root' not in skip:
        group.add_argument('--data-root', metavar='PATH',
                           help="every loader's dataset reads from PATH (the config's layout)")
    if 'batch_size' not in skip:
        group.add_argument('--batch-size', type=_positive_int, metavar='N',
                           help='batch size of every loader')
    if 'workers' not in skip:
        group.add_argument('--workers', '--num-workers', dest='workers', type=_count,
                           metavar='N', help='dataloader workers of every loader (default: the '
                           "config's, at most this machine's cores; 0 loads in the main "
                           'process)')
    if 'epochs' not in skip:
        group.add_argument('--epochs', type=_positive_int, metavar='N',
                           help='training epochs; validation, checkpoint intervals and the '
                           'epoch-based lr schedule ends follow')
    if 'threads' not in skip:
        group.add_argument('--threads', type=_positive_int, metavar='N',
                           help='torch threads of this process (and OMP/MKL threads of its '
                           'workers); on a small CPU machine 1 is often fastest')
    if 'pipeline_options' not in skip:
        group.add_argument('--pipeline-options', nargs='+', metavar='NAME=VALUE',
                           help='named pipeline parameters, found by transform type in every '
                           'pipeline: ' + ', '.join(KNOBS))
    if 'small_run' not in skip:
        group.add_argument('--small-run', action='store_true',
                           help="the dataset's small CPU recipe for every run option not "
                           'given (docs/small_runs.md)')
    return parser


def loader_keys(cfg: Mapping) -> list[str]:
    """The config's dataloader keys that hold a dataset (``train_dataloader`` ...
    ``teacher_dataloader``)."""
    return [key for key in cfg.keys()
            if str(key).endswith('_dataloader') and isinstance(cfg.get(key), Mapping)
            and cfg[key].get('dataset') is not None]


def leaf_datasets(dataset: Mapping) -> Iterator[MutableMapping]:
    """The datasets that read files, below wrappers (``dataset=``) and lists (``datasets=``)."""
    if isinstance(dataset.get('dataset'), Mapping):
        yield from leaf_datasets(dataset['dataset'])
    elif isinstance(dataset.get('datasets'), (list, tuple)):
        for inner in dataset['datasets']:
            yield from leaf_datasets(inner)
    else:
        yield dataset  # type: ignore[misc]


def set_data_root(cfg: MutableMapping, data_root: str) -> list[str]:
    """Point every loader's dataset (and the top-level ``data_root``) at ``data_root``.

    Returns:
        The loaders changed.
    """
    changed = []
    for key in loader_keys(cfg):
        for dataset in leaf_datasets(cfg[key]['dataset']):
            dataset['data_root'] = data_root
        changed.append(key)
    if 'data_root' in cfg:
        cfg['data_root'] = data_root
    return changed


def set_loaders(cfg: MutableMapping, batch_size: Optional[int] = None,
                workers: Optional[int] = None, cap_workers: Optional[int] = None) -> None:
    """Batch size and workers of every loader; ``cap_workers`` bounds workers not given."""
    for key in loader_keys(cfg):
        loader = cfg[key]
        if batch_size is not None:
            loader['batch_size'] = batch_size
        if workers is not None:
            loader['num_workers'] = workers
        elif cap_workers is not None and int(loader.get('num_workers', 0)) > cap_workers:
            _log(f'{key}.num_workers {loader["num_workers"]} -> {cap_workers} (this machine '
                 'has no more cores; --workers N sets it)')
            loader['num_workers'] = cap_workers
        if int(loader.get('num_workers', 0)) == 0:
            loader['persistent_workers'] = False  # PyTorch refuses it without workers


def set_epochs(cfg: MutableMapping, epochs: int) -> None:
    """``train_cfg.max_epochs`` and what follows it (intervals, scheduler ends).

    Raises:
        ConfigError: The training loop is iteration-based.
    """
    train_cfg = cfg.get('train_cfg') or {}
    if 'max_epochs' not in train_cfg:
        raise ConfigError(f'--epochs: train_cfg ({train_cfg.get("type")}) counts iterations, '
                          'not epochs; set --cfg-options train_cfg.max_iters=N')
    old = int(train_cfg['max_epochs'])
    train_cfg['max_epochs'] = epochs
    if int(train_cfg.get('val_interval', 1)) > epochs:
        train_cfg['val_interval'] = epochs
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    if checkpoint and checkpoint.get('by_epoch', True) and int(
            checkpoint.get('interval', 1)) > epochs:
        checkpoint['interval'] = epochs
    schedulers = cfg.get('param_scheduler')
    if isinstance(schedulers, Mapping):
        schedulers = [schedulers]
    kept = []
    for scheduler in schedulers or []:
        if not scheduler.get('by_epoch', True):
            kept.append(scheduler)  # counted in iterations: not the epoch schedule
            continue
        if int(scheduler.get('begin', 0)) >= epochs:
            continue  # starts after the run ends
        end = scheduler.get('end')
        if end is not None and (end == old or end > epochs):
            scheduler['end'] = epochs
        kept.append(scheduler)
    if schedulers:
        cfg['param_scheduler'] = kept


def set_threads(threads: int) -> None:
    """Torch threads of this process; OMP / MKL threads of the processes it starts."""
    import torch
    torch.set_num_threads(threads)
    for name in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[name] = str(threads)


def _nested_paths(node: Any, key: str, where: str = '') -> list[str]:
    """Every ``a.b.key`` path below ``node`` (lists by index)."""
    found = []
    if isinstance(node, Mapping):
        for name, value in node.items():
            path = f'{where}.{name}' if where else str(name)
            if name == key and where:
                found.append(path)
            found += _nested_paths(value, key, path)
    elif isinstance(node, (list, tuple)):
        for index, item in enumerate(node):
            found += _nested_paths(item, key, f'{where}.{index}')
    return found


def check_top_level_options(cfg: Mapping, cfg_options: Optional[Mapping]) -> Optional[str]:
    """The data root a ``--cfg-options data_root=X`` asks for; refuse other expanded variables.

    A config's top-level variables (``data_root``, ``num_classes``, ``num_frames`` ...) are
    copied into the entries that use them when the config is read, so overriding the variable
    changes nothing.

    Args:
        cfg: The loaded config.
        cfg_options: The ``--cfg-options`` mapping.

    Returns:
        The data root given as ``data_root=X``, else ``None``.

    Raises:
        ConfigError: A top-level key that the config also holds nested, naming those keys.
    """
    data_root = None
    for key, value in (cfg_options or {}).items():
        if '.' in key:
            continue
        if key == 'data_root':
            data_root = str(value)
            continue
        places = [p for p in _nested_paths(dict(cfg.items()), key)
                  if not p.startswith(key + '.')]
        if places:
            hint = (f' or --pipeline-options {key}=...' if key in KNOBS
                    else ' or --pipeline-options crop=H,W' if key == 'crop_size' else '')
            shown = ', '.join(places[:8]) + (' ...' if len(places) > 8 else '')
            raise ConfigError(
                f'--cfg-options {key}=...: the top-level {key!r} was already copied into the '
                f'entries that use it when the config was read, so it would change nothing. '
                f'Set those entries instead ({shown}){hint}')
    return data_root


def apply_run_options(cfg, args: argparse.Namespace):
    """Apply the run options of ``args`` (and a ``data_root`` in ``args.cfg_options``).

    Args:
        cfg: The loaded config (``--cfg-options`` merged), changed in place.
        args: The parsed arguments of a parser given :func:`add_run_options` (missing
            options count as not given).

    Returns:
        ``cfg``.

    Raises:
        ConfigError: A bad option (unknown pipeline name, epochs on an iteration-based loop, a
            refused top-level ``--cfg-options`` key, two different data roots).
    """
    options = {name: getattr(args, name, None) for name in RUN_OPTIONS}
    cfg_options = getattr(args, 'cfg_options', None)
    from_cfg_options = check_top_level_options(cfg, cfg_options)
    if from_cfg_options is not None:
        if options['data_root'] not in (None, from_cfg_options):
            raise ConfigError(f'two data roots: --data-root {options["data_root"]} and '
                              f'--cfg-options data_root={from_cfg_options}')
        options['data_root'] = from_cfg_options
    if options['small_run']:
        from fdkd_mm.config.small_runs import small_run_for
        recipe = small_run_for(cfg)
        recipe.apply_model_changes(cfg)
        for name, value in recipe.run_options().items():
            if options.get(name) is None:
                options[name] = value
            elif name == 'pipeline_options':  # the user's names win, the recipe's others stay
                given = parse_pipeline_options(options[name])
                options[name] = {**parse_pipeline_options(value), **given}
    if options['data_root'] is not None:
        set_data_root(cfg, options['data_root'])
    set_loaders(cfg, options['batch_size'], options['workers'], cap_workers=os.cpu_count())
    if options['epochs'] is not None:
        set_epochs(cfg, options['epochs'])
    if options['threads'] is not None:
        set_threads(options['threads'])
    for name, places in apply_pipeline_options(cfg, options['pipeline_options']).items():
        if places:
            _log(f'pipeline option {name}: {", ".join(places)}')
        else:
            _log(f'pipeline option {name}: this config has none of its transforms '
                 f'({", ".join(KNOBS[name].targets)}); nothing changed')
    return cfg


def run_option_argv(args: argparse.Namespace) -> list[str]:
    """The run options of ``args`` as command-line flags again (for the runs a tool starts)."""
    argv: list[str] = []
    for name in RUN_OPTIONS:
        value = getattr(args, name, None)
        flag = '--' + name.replace('_', '-')
        if value is None or value is False:
            continue
        if value is True:
            argv.append(flag)
        elif isinstance(value, (list, tuple)):
            argv += [flag, *map(str, value)]
        else:
            argv += [flag, str(value)]
    return argv
