"""MGDFR stage 2: the salience of each teacher-feature channel of a co-trained pair.

Runs the co-trained student and teacher (eval mode, no gradients) over the training set; for
every channel of the teacher's feature, shuffles it across the batch ``--repeats`` times and
measures how far the teacher's logits move from the student's; writes the min-max normalised
vector (a tensor, loadable with ``torch.load(weights_only=True)``) that ``MGDFRLoss`` reads.

Example (CREMA-D, audio teacher -> visual student):
    python tools/train.py configs/mgdfr/mgdfr-cotrain_r18-audio_r18-visual_cremad.py
    python tools/mgdfr_salience.py configs/mgdfr/mgdfr-cotrain_r18-audio_r18-visual_cremad.py \\
        work_dirs/mgdfr-cotrain_r18-audio_r18-visual_cremad/epoch_100.pth \\
        work_dirs/mgdfr-cotrain_r18-audio_r18-visual_cremad/salience.pth
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import fdkd_mm  # noqa: E402,F401  (registers the types)
from fdkd_mm.apis.mgdfr_salience import (compute_salience, load_networks,  # noqa: E402
                                         salience_model_cfg)
from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file  # noqa: E402
from fdkd_mm.config.run_options import add_run_options, apply_run_options  # noqa: E402
from fdkd_mm.registry import MODELS  # noqa: E402
from fdkd_mm.tool_errors import run_tool  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the mgdfr-cotrain config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='its checkpoint (.pth)')
    parser.add_argument('out', help='salience tensor to write (.pth)')
    parser.add_argument('--repeats', type=int, default=10,
                        help='shuffles per channel and batch (official --repeat_permute)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the shuffles')
    parser.add_argument('--max-batches', type=int, help='stop after this many batches')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. the data root')
    add_run_options(parser)  # --data-root, --batch-size ... as the run was trained with
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    apply_run_options(cfg, args)
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    model = MODELS.build(salience_model_cfg(cfg.model, args.repeats, args.seed))
    checkpoint = load_checkpoint_file(args.checkpoint, map_location='cpu')
    load_networks(model, checkpoint.get('state_dict', checkpoint), args.checkpoint)
    if torch.cuda.is_available():
        model = model.cuda()
    loader = Runner.build_dataloader(cfg.train_dataloader)
    salience = compute_salience(model, loader, args.max_batches)
    torch.save(salience, args.out)
    print(f'wrote {args.out}: salience of {salience.numel()} teacher channels')


if __name__ == '__main__':
    run_tool(main)
