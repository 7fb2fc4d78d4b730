"""Energy per rfft bin of two modalities' features, with the band cutoff marked → PNG.

The spectrum is taken along the feature dimension, the axis FD-CMKD splits; the right panel's
cumulative share at the cutoff line is the fraction of each modality's (non-DC) energy in the
low band.

Example:
    python tools/analysis/spectrum.py \
        configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py CKPT --cutoff 0.5 \
        --out work_dirs/analysis

Writes ``<out>/spectrum.png`` and ``<out>/spectrum.json`` (energies, low-band shares).
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
from fdkd_mm.analysis.statistics import SpectrumEnergy, low_band_fraction  # noqa: E402
from fdkd_mm.models.decouplers import band_bins  # noqa: E402


def main(argv: Optional[list[str]] = None) -> list[str]:
    """Run the analysis; return the paths written."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_source_args(parser)
    parser.add_argument('--cutoff', type=float, default=0.5,
                        help='decoupler cutoff to mark (low-band fraction of non-DC bins)')
    args = parser.parse_args(argv)
    from fdkd_mm.analysis.plots import save_png, spectrum_figure

    sources = build_sources(args)
    meters = {sources.key_a: SpectrumEnergy(), sources.key_b: SpectrumEnergy()}
    for features, _labels in iterate_features(sources.streams, args.max_samples,
                                              progress=not args.no_progress,
                                              device=args.device):
        for key, meter in meters.items():
            meter.update(features[key])
    dims = {meter.dim for meter in meters.values()}
    if len(dims) != 1:
        raise ValueError(f'the two features have different widths {sorted(dims)}; one cutoff '
                         'line cannot mark both spectra')
    dim = dims.pop()
    energies = {sources.name_a: meters[sources.key_a].compute(),
                sources.name_b: meters[sources.key_b].compute()}
    low_bins = band_bins(dim, args.cutoff)[0]
    shares = {name: low_band_fraction(energy, dim, args.cutoff)
              for name, energy in energies.items()}
    os.makedirs(args.out, exist_ok=True)
    title = (f'feature spectra ({args.split}), cutoff {args.cutoff}: low-band share ' +
             ', '.join(f'{name} {share:.2f}' for name, share in shares.items()))
    png = save_png(spectrum_figure({n: e.numpy() for n, e in energies.items()}, dim, low_bins,
                                   title), osp.join(args.out, 'spectrum.png'))
    data = osp.join(args.out, 'spectrum.json')
    with open(data, 'w') as f:
        json.dump(dict(dim=dim, cutoff=args.cutoff, low_bins=[low_bins.start, low_bins.stop - 1],
                       low_band_energy_share=shares,
                       energy={n: e.tolist() for n, e in energies.items()}), f)
    print(f'wrote {png}\nwrote {data}')
    return [png, data]


if __name__ == '__main__':
    main()
