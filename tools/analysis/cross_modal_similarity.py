"""Mean cosine similarity of paired cross-modal features, raw and per frequency band (Table 1).

Two models see the same samples in their own modality (or a distiller's student and teacher
do); the features of each pair are compared by cosine similarity, one per sample for pooled
vectors, one per pixel for dense maps, and averaged. The same is done after splitting both
features into low and high bands with the same decoupler, which shows which band the
modalities share.

Examples:
    # depth vs RGB "Uni" networks on the NYU test split
    python tools/analysis/cross_modal_similarity.py \
        configs/uni/uni_dlv3p-r18-depth_nyu.py work_dirs/uni_dlv3p-r18-depth_nyu/epoch_50.pth \
        --pair-config configs/uni/uni_dlv3p-r18-rgb_nyu.py \
        --pair-checkpoint work_dirs/uni_dlv3p-r18-rgb_nyu/epoch_50.pth --out work_dirs/analysis
    # a trained distiller: its student vs its teacher
    python tools/analysis/cross_modal_similarity.py \
        configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py \
        work_dirs/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu/epoch_50.pth --out work_dirs/analysis \
        --cutoff 0.25

Writes ``<out>/cross_modal_similarity.json`` and prints a Markdown table.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from fdkd_mm.analysis.cli import add_source_args, build_sources  # noqa: E402
from fdkd_mm.analysis.features import iterate_features  # noqa: E402
from fdkd_mm.analysis.similarity import BandSimilarity  # noqa: E402

_ROW_NAMES = {'raw': 'raw features', 'low': 'low band', 'high': 'high band'}


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_source_args(parser)
    parser.add_argument('--cutoff', type=float, default=0.5,
                        help='low-band fraction of the non-DC bins (as the decoupler cutoff)')
    parser.add_argument('--decoupler', choices=['channel', 'spatial'], default='channel',
                        help="'channel': rfft along the feature dimension (the method); "
                        "'spatial': rfft2 over the map (dense features only)")
    return parser.parse_args(argv)


def build_decoupler(kind: str, cutoff: float):
    """The decoupler both modalities are split with."""
    import fdkd_mm.models.decouplers  # noqa: F401  (registers SpatialFrequencyDecoupler)
    from fdkd_mm.models.decouplers import SpatialFrequencyDecoupler
    from fdkd_mm.models.decouplers import FrequencyDecoupler
    return SpatialFrequencyDecoupler(cutoff) if kind == 'spatial' else FrequencyDecoupler(cutoff)


def markdown_table(result: dict) -> str:
    """The similarities as a Markdown table."""
    header = f'mean cosine similarity ({result["a"]} vs {result["b"]})'
    lines = [f'| features | {header} |', '|---|---|']
    for name, value in result['similarity'].items():
        lines.append(f'| {_ROW_NAMES.get(name, name)} | {value:.4f} |')
    return '\n'.join(lines)


def main(argv: Optional[list[str]] = None) -> dict:
    """Run the analysis; return the result written to JSON."""
    args = parse_args(argv)
    sources = build_sources(args)
    meter = BandSimilarity(build_decoupler(args.decoupler, args.cutoff))
    for features, _labels in iterate_features(sources.streams, args.max_samples,
                                              progress=not args.no_progress,
                                              device=args.device):
        meter.update(features[sources.key_a], features[sources.key_b])
    result = dict(a=sources.name_a, b=sources.name_b, split=args.split, cutoff=args.cutoff,
                  decoupler=args.decoupler, pairs=meter.count, similarity=meter.compute())
    os.makedirs(args.out, exist_ok=True)
    path = osp.join(args.out, 'cross_modal_similarity.json')
    with open(path, 'w') as f:
        json.dump(result, f, indent=2)
    print(markdown_table(result))
    print(f'({meter.count} feature pairs, split {args.split!r}, cutoff {args.cutoff})')
    print(f'wrote {path}')
    return result


if __name__ == '__main__':
    main()
