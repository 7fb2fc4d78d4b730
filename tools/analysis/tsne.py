"""t-SNE of two modalities' (student / teacher) features, coloured by modality and class → PNG.

The paper's Figure 4. Vector features give one point per sample; dense maps give
``--points-per-sample`` random labelled pixels per image, the same pixels for both modalities.
``--band`` embeds a frequency band instead of the raw feature.

Example:
    python tools/analysis/tsne.py configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py CKPT \
        --out work_dirs/analysis

Writes ``<out>/tsne.png`` (``tsne_<band>.png`` with ``--band``).
"""
import argparse
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from fdkd_mm.analysis.cli import add_source_args, build_sources  # noqa: E402
from fdkd_mm.analysis.features import iterate_features  # noqa: E402
from fdkd_mm.analysis.similarity import match_grid  # noqa: E402
from fdkd_mm.analysis.statistics import sample_points  # noqa: E402


def embed(points: np.ndarray, seed: int = 0) -> np.ndarray:
    """2-D t-SNE of (M, D) points, with a perplexity that small sets allow."""
    from sklearn.manifold import TSNE
    perplexity = float(min(30.0, max(2.0, (len(points) - 1) / 3.0)))
    return TSNE(n_components=2, perplexity=perplexity, init='pca', random_state=seed,
                learning_rate='auto').fit_transform(points)


def main(argv: Optional[list[str]] = None) -> list[str]:
    """Run the analysis; return the paths written."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_source_args(parser)
    parser.add_argument('--band', choices=['raw', 'low', 'high'], default='raw',
                        help='embed the raw features or one band of FrequencyDecoupler')
    parser.add_argument('--cutoff', type=float, default=0.5, help='cutoff for --band')
    parser.add_argument('--points-per-sample', type=int, default=32,
                        help='pixels drawn per image from dense features')
    parser.add_argument('--max-points', type=int, default=2000,
                        help='points per modality at most (t-SNE is quadratic)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    from fdkd_mm.analysis.plots import save_png, tsne_figure
    from fdkd_mm.models.decouplers import FrequencyDecoupler

    sources = build_sources(args)
    decoupler = FrequencyDecoupler(args.cutoff) if args.band != 'raw' else None
    generator = torch.Generator().manual_seed(args.seed)
    rows: dict[str, list] = {sources.key_a: [], sources.key_b: []}
    labels: list = []
    for features, batch_labels in iterate_features(sources.streams, args.max_samples,
                                                   progress=not args.no_progress,
                                                   device=args.device):
        a = features[sources.key_a]
        b = match_grid(a, features[sources.key_b])
        if decoupler is not None:
            band = 0 if args.band == 'low' else 1
            a, b = decoupler(a)[band], decoupler(b)[band]
        (picked_a, picked_b), picked_labels = sample_points(
            [a, b], batch_labels, args.points_per_sample, generator)
        rows[sources.key_a].append(picked_a)
        rows[sources.key_b].append(picked_b)
        if picked_labels is not None:
            labels.append(picked_labels)
    a, b = (torch.cat(rows[key]) for key in (sources.key_a, sources.key_b))
    label_array = torch.cat(labels).numpy() if labels else None
    if len(a) > args.max_points:
        keep = torch.randperm(len(a), generator=generator)[:args.max_points]
        a, b = a[keep], b[keep]
        label_array = label_array[keep.numpy()] if label_array is not None else None
    if len(a) < 4:
        raise ValueError(f'only {len(a)} points per modality: too few for t-SNE')
    points = embed(torch.cat([a, b]).numpy(), args.seed)
    modalities = [sources.name_a] * len(a) + [sources.name_b] * len(b)
    all_labels = np.concatenate([label_array, label_array]) if label_array is not None else None
    name = 'tsne.png' if args.band == 'raw' else f'tsne_{args.band}.png'
    title = f't-SNE of {args.band} features ({args.split}, {len(a)} points per modality)'
    png = save_png(tsne_figure(points, modalities, all_labels, title),
                   osp.join(args.out, name))
    print(f'wrote {png}')
    return [png]


if __name__ == '__main__':
    main()
