"""Per-dimension feature means of two modalities (the paper's Figure 1) → PNG.

Shows the scale mismatch between modalities that motivates the scale standardization: each
line is the mean of one feature dimension over the split (over all pixels for dense maps).

Example:
    python tools/analysis/feature_scale.py \
        configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py CKPT \
        --out work_dirs/analysis

Writes ``<out>/feature_scale.png`` and ``<out>/feature_scale.json`` (the means).
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
from fdkd_mm.analysis.statistics import DimensionMeans  # noqa: E402


def main(argv: Optional[list[str]] = None) -> list[str]:
    """Run the analysis; return the paths written."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_source_args(parser)
    args = parser.parse_args(argv)
    from fdkd_mm.analysis.plots import feature_scale_figure, save_png

    sources = build_sources(args)
    meters = {sources.key_a: DimensionMeans(), sources.key_b: DimensionMeans()}
    for features, _labels in iterate_features(sources.streams, args.max_samples,
                                              progress=not args.no_progress,
                                              device=args.device):
        for key, meter in meters.items():
            meter.update(features[key])
    means = {sources.name_a: meters[sources.key_a].compute().numpy(),
             sources.name_b: meters[sources.key_b].compute().numpy()}
    os.makedirs(args.out, exist_ok=True)
    png = save_png(feature_scale_figure(means, f'feature means per dimension ({args.split})'),
                   osp.join(args.out, 'feature_scale.png'))
    data = osp.join(args.out, 'feature_scale.json')
    with open(data, 'w') as f:
        json.dump({name: values.tolist() for name, values in means.items()}, f)
    print(f'wrote {png}\nwrote {data}')
    return [png, data]


if __name__ == '__main__':
    main()
