"""Export the student of a distiller checkpoint as a plain mmseg / mmpretrain checkpoint.

Example:
    python tools/export_student.py \
        work_dirs/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu/iter_4000.pth student.pth \
        --config configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py  # verify: loads strictly
"""
import argparse

from fdkd_mm.utils import export_student


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='distiller checkpoint (.pth)')
    parser.add_argument('out', help='path of the student checkpoint to write')
    parser.add_argument('--config', help='distiller config: build its student and load the '
                        'exported weights strictly, to verify them')
    parser.add_argument('--prefix', default='student.', help='state-dict prefix of the student')
    return parser.parse_args()


def verify(config_path: str, out_path: str) -> None:
    """Build the student of ``config_path`` and load ``out_path`` into it strictly."""
    from mmengine.config import Config
    from mmengine.runner.checkpoint import load_checkpoint

    from fdkd_mm.models.builder import build_scoped
    student_cfg = Config.fromfile(config_path).model['student']
    student = build_scoped(student_cfg)
    load_checkpoint(student, out_path, map_location='cpu', strict=True)


def main() -> None:
    args = parse_args()
    exported = export_student(args.checkpoint, args.out, args.prefix)
    if args.config:
        verify(args.config, args.out)
    print(f'wrote {args.out}: {len(exported["state_dict"])} student tensors'
          + (' (verified strict load)' if args.config else ''))


if __name__ == '__main__':
    main()
