"""Export the student of a distiller checkpoint: its weights and a config to deploy it with.

Writes OUT (``.pth``: the student's state dict, loadable with ``torch.load(weights_only=True)``)
and OUT with ``.py`` beside it: a plain mmseg / mmpretrain config for students on images (usable
without fdkd_mm), an fdkd_mm config for the others (``fdkd_mm.apis.StudentInferencer``). Both
are verified (strict load into the model built from the written config) before they replace
anything; a failure leaves no file behind.

Example:
    python tools/export_student.py \
        work_dirs/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu/epoch_50.pth \
        work_dirs/export/student_rgb.pth \
        --config configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py
"""
import argparse

from fdkd_mm.apis.export import export_student
from fdkd_mm.tool_errors import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='distiller checkpoint (.pth)')
    parser.add_argument('out', help='student checkpoint to write (.pth; its config goes '
                        'beside it as .py)')
    parser.add_argument('--config', help='distiller config (default: the config the '
                        'checkpoint stores as data, meta["cfg_dict"]; a checkpoint holding it '
                        'only as text needs --config, text is never executed)')
    parser.add_argument('--prefix', default='student.',
                        help='state-dict prefix of the network to export: student. (default) '
                        'or teacher. for a jointly trained teacher (DML, C2KD)')
    parser.add_argument('--onnx', nargs='?', const=1e-3, type=float, metavar='TOLERANCE',
                        help='also write OUT with .onnx (and .preprocess.json), checked with '
                        'ONNX Runtime against PyTorch on a real test sample; refused above '
                        'TOLERANCE max abs logit difference (default 1e-3)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    result = export_student(args.checkpoint, args.out, args.config, args.prefix)
    kind = ('fdkd_mm config (fdkd_mm.apis.StudentInferencer)' if result.kind == 'fdkd_mm'
            else f'plain {result.kind} config')
    print(f'wrote {result.checkpoint} ({result.num_tensors} tensors) and {result.config} '
          f'({kind}); verified: strict load into the model of that config')
    if args.onnx is not None:
        from fdkd_mm.apis.onnx_export import main_onnx
        main_onnx(args, result)


if __name__ == '__main__':
    run_tool(main)
