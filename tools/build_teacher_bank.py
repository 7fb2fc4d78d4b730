"""Build the teacher bank of an unpaired config once, to reuse it across runs.

Runs the frozen teacher of ``teacher_bank`` over ``teacher_dataloader`` (the teacher's own
data, its modality only) and writes the per-class statistics (and, for pooled features, every
sample's feature) for the config's ``UnpairedFDLoss``: the same bank the training hook
would build. Use it with ``--cfg-options model.distill_losses.<loss>.bank_file=BANK``; the hook
then checks it against the configured teacher and data instead of building one.

Example:
    python tools/build_teacher_bank.py \
        configs/unpaired/ufd_r18-audio_r18-visual_cremad.py --out work_dirs/banks/cremad.pth \
        --teacher-ckpt work_dirs/uni-parta_r18-audio_cremad/epoch_100.pth
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='unpaired distiller config (teacher_bank, '
                        'teacher_dataloader and an UnpairedFDLoss)')
    parser.add_argument('--out', required=True, help='bank file to write (.pth)')
    parser.add_argument('--teacher-ckpt', help='teacher checkpoint (default: '
                        'teacher_bank.teacher_ckpt of the config)')
    parser.add_argument('--loss', help='name of the distill loss the bank is for (default: '
                        'the config\'s one UnpairedFDLoss)')
    parser.add_argument('--device', help='where the teacher runs (default: cuda if available)')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='key=value overrides of the config')
    return parser.parse_args(argv)


def bank_loss(cfg: Config, name):
    """Build the config's UnpairedFDLoss (the bank's layout, τ and classes are its)."""
    from fdkd_mm.registry import MODELS
    from fdkd_mm.models.losses import UnpairedFDLoss
    losses = cfg.model.get('distill_losses') or {}
    candidates = [key for key, loss in losses.items()
                  if str(loss.get('type', '')).split('.')[-1] == 'UnpairedFDLoss']
    if name is None:
        if len(candidates) != 1:
            raise SystemExit(f'error: the config has {len(candidates)} UnpairedFDLoss losses '
                             f'({candidates}); name one with --loss')
        name = candidates[0]
    if name not in candidates:
        raise SystemExit(f'error: --loss {name!r} is not an UnpairedFDLoss of the config '
                         f'({candidates})')
    loss_cfg = dict(losses[name], bank_file=None)
    loss = MODELS.build(loss_cfg)
    assert isinstance(loss, UnpairedFDLoss)
    return name, loss


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    import fdkd_mm  # noqa: F401  (registers our modules)
    from fdkd_mm.config.preflight import preflight
    from fdkd_mm.teacher_bank.build import build_teacher_bank
    from fdkd_mm.models.banks import save_bank

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    preflight(cfg, args.cfg_options, tool='bank', teacher_ckpt=args.teacher_ckpt)
    name, loss = bank_loss(cfg, args.loss)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    started = time.time()
    try:
        state = build_teacher_bank(cfg, loss.to(device), args.teacher_ckpt, device=device,
                                   progress=not args.no_progress)
    except (KeyError, ValueError, FileNotFoundError) as error:
        message = error.args[0] if error.args else error
        print(f'error: {message}', file=sys.stderr)
        return 1
    size = save_bank(state, args.out)
    manifest, tensors = state['manifest'], state['tensors']
    counts = ', '.join(f'{int(c)}' for c in tensors['counts'].tolist())
    kept = (f', {len(tensors["features"])} sample features {tuple(tensors["features"].shape)}'
            if 'features' in tensors else ', statistics only')
    print(f'wrote {args.out} for distill loss {name!r}: {manifest["num_samples"]} teacher '
          f'samples ({manifest["layout"]}{kept}), {manifest["num_classes"]} classes, bands '
          f'{manifest["bands"]["bands"]}, tau {manifest["temperature"]}; rows per class: '
          f'{counts}; {size / 2 ** 20:.2f} MiB on disk; built in {time.time() - started:.1f} s')
    return 0


if __name__ == '__main__':
    from fdkd_mm.tool_errors import run_tool
    run_tool(main)
