"""Command-line plumbing shared by the tools in ``tools/analysis``: two paired feature sources.

Either one distiller config (its student vs its teacher), or two configs of models on two
modalities of the same samples (``--pair-config``), e.g. the depth and RGB "Uni" networks.
"""
import argparse
import os.path as osp
from dataclasses import dataclass
from typing import Optional

from mmengine.config import DictAction

from fdkd_mm.analysis.features import (FeatureStream, build_loader, build_model,
                                       default_recorder, distiller_recorders, is_distiller,
                                       load_config, parse_recorder)

_POOLS = {'auto': 'auto', 'avg': 'avg', 'none': None}


def add_source_args(parser: argparse.ArgumentParser) -> None:
    """Add the arguments naming the two feature sources, the split and the output folder."""
    parser.add_argument('config', help='distiller config, or the config of modality a')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='its checkpoint (omit for random weights, e.g. smoke tests)')
    parser.add_argument('--pair-config', help='config of modality b (compare two models); '
                        'omitted: CONFIG is a distiller, compare its student and teacher')
    parser.add_argument('--pair-checkpoint', help='checkpoint of the --pair-config model')
    parser.add_argument('--recorder', help='feature of model a (or the student) as '
                        'path[:source[:call_index]]; default: the distilled feature')
    parser.add_argument('--pair-recorder', help='feature of model b (or the teacher)')
    parser.add_argument('--pool', choices=list(_POOLS), default='auto',
                        help="'avg' pools to vectors, 'none' keeps dense maps (per-pixel "
                        "vectors); 'auto': the distiller's / the model kind's default")
    parser.add_argument('--names', nargs=2, metavar=('A', 'B'),
                        help='display names of the two sources (default: student/teacher or '
                        'the config names)')
    parser.add_argument('--split', default='test', choices=['train', 'val', 'test'],
                        help='dataloader to read (always in order, test-time pipeline)')
    parser.add_argument('--max-samples', type=int, help='stop after this many samples')
    parser.add_argument('--batch-size', type=int, help='override the loader batch size')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides of CONFIG')
    parser.add_argument('--pair-cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides of --pair-config')
    parser.add_argument('--out', required=True, help='output folder')


@dataclass
class Sources:
    """The paired sources: streams to run and the recorder names of sides a and b."""
    streams: list[FeatureStream]
    name_a: str
    name_b: str
    key_a: str = 'a'
    key_b: str = 'b'


def _recorder(spec: Optional[str], default: Optional[dict], pool: str, prefix: str = '') -> dict:
    """The recorder of ``spec`` (else ``default``), pooled as ``--pool`` says (``'auto'``: the
    default's pooling)."""
    recorder = dict(default or {})
    if spec is not None:
        recorder = dict(parse_recorder(spec), pool=recorder.get('pool'))
        recorder['path'] = prefix + recorder['path']
    if _POOLS[pool] != 'auto':
        recorder['pool'] = _POOLS[pool]
    return recorder


def _build_or_exit(cfg, checkpoint: Optional[str], device: str):
    """build_model, with a checkpoint that does not fit (or cannot be read safely) ending the
    tool with its short message instead of a traceback, as tools/test.py does."""
    from fdkd_mm.checkpoint.safe_loading import CorruptCheckpointError, UnsafeCheckpointError
    from fdkd_mm.checkpoint.strict_loading import CheckpointMismatchError
    try:
        return build_model(cfg, checkpoint, device)
    except (CheckpointMismatchError, CorruptCheckpointError, UnsafeCheckpointError) as error:
        raise SystemExit(f'error: {error}') from error


def build_sources(args: argparse.Namespace) -> Sources:
    """Build the models, loaders and recorders the arguments describe.

    Returns:
        :class:`Sources` whose streams yield features named ``'a'`` and ``'b'``.
    """
    cfg = load_config(args.config, args.cfg_options)
    model = _build_or_exit(cfg, args.checkpoint, args.device)
    loader = build_loader(cfg, args.split, args.batch_size)
    if args.pair_config is None:
        if not is_distiller(model):
            raise ValueError(f'{args.config} is not a distiller config: give --pair-config '
                             'to compare two models')
        defaults = distiller_recorders(model)
        recorders = dict(a=_recorder(args.recorder, defaults['student'], args.pool, 'student.'),
                         b=_recorder(args.pair_recorder, defaults['teacher'], args.pool,
                                     'teacher.'))
        names = args.names or ['student', 'teacher']
        return Sources([FeatureStream(model, loader, recorders)], *names)
    pair_cfg = load_config(args.pair_config, args.pair_cfg_options)
    pair_model = _build_or_exit(pair_cfg, args.pair_checkpoint, args.device)
    pair_loader = build_loader(pair_cfg, args.split, args.batch_size)
    streams = []
    for key, (mdl, ldr, spec) in dict(a=(model, loader, args.recorder),
                                      b=(pair_model, pair_loader, args.pair_recorder)).items():
        try:
            default = default_recorder(mdl)
        except ValueError:
            if spec is None:
                raise
            default = None  # a given spec on an unknown kind: as recorded
        streams.append(FeatureStream(mdl, ldr, {key: _recorder(spec, default, args.pool)}))
    names = args.names or [osp.splitext(osp.basename(p))[0]
                           for p in (args.config, args.pair_config)]
    return Sources(streams, *names)
