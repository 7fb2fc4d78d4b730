"""Write the configs that distil one modality of a manifest into another, and say how to run.

Reads the manifest (CSV / JSON lines, see docs/your_own_data.md), builds both networks, finds
their recorder paths and feature widths with one dry forward pass on real samples, and writes a
pair config, the teacher's and the student's Uni configs and the FD-CMKD / KD / Feat configs.

Example:
    python tools/new_pair.py data/mine/manifest.csv --teacher-modality depth \
        --student-modality rgb --task cls --student-model mobilenet_v2
"""
import argparse
import sys

from fdkd_mm.errors import FdkdError
from fdkd_mm.pairing import describe_choices, write_pair, write_unpaired


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('manifest', help='CSV or JSON-lines manifest, one row per sample (with '
                        "--student-manifest: the teacher's samples)")
    parser.add_argument('--student-manifest', help="unpaired: the student's samples, another "
                        'manifest sharing the class names (writes a teacher Uni config and an '
                        'unpaired FD config with a teacher bank)')
    parser.add_argument('--teacher-modality', required=True, help="the teacher's column")
    parser.add_argument('--student-modality', required=True, help="the student's column")
    parser.add_argument('--task', choices=('cls', 'seg'), required=True,
                        help='classification (label: class name or index) or segmentation '
                        '(label: label-map path)')
    parser.add_argument('--teacher-model', help=f'teacher network: {describe_choices()} '
                        '(default resnet18 / deeplabv3plus_r18)')
    parser.add_argument('--student-model', help='student network, as --teacher-model')
    parser.add_argument('--out-dir', help='where to write (default configs/own/<manifest>)')
    parser.add_argument('--data-root', help="data root (default: the manifest's folder)")
    parser.add_argument('--label-column', default='label', help='the label column')
    parser.add_argument('--classes', help='class file, one name a line (relative to the data '
                        'root); default: the labels found, sorted')
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'),
                        help='size pixel modalities are resized to (default 224 224 for cls, '
                        'the first sample for seg)')
    parser.add_argument('--epochs', type=int, default=30, help='training epochs')
    parser.add_argument('--batch-size', type=int, default=16, help='training batch size')
    parser.add_argument('--depth-scale', type=float, default=1000.0,
                        help='raw units per unit of 16-bit depth / thermal maps (1000: mm to m)')
    parser.add_argument('--sample-rate', type=int, default=16000, help='audio rate (Hz)')
    parser.add_argument('--duration', type=float, default=3.0, help='seconds of audio')
    parser.add_argument('--max-length', type=int, default=64, help='text tokens')
    parser.add_argument('--name', help='name in the file names (default: the manifest name)')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    kind_options = dict(unit_scale=args.depth_scale, sample_rate=args.sample_rate,
                        duration=args.duration, max_length=args.max_length)
    options = {args.teacher_modality: dict(kind_options),
               args.student_modality: dict(kind_options)}
    try:
        if args.student_manifest:
            files = write_unpaired(args.manifest, args.student_manifest,
                                   args.teacher_modality, args.student_modality, args.task,
                                   args.teacher_model, args.student_model, args.out_dir,
                                   args.size, args.epochs, args.batch_size, args.label_column,
                                   args.classes, options, args.name)
        else:
            files = write_pair(args.manifest, args.teacher_modality, args.student_modality,
                               args.task, args.teacher_model, args.student_model,
                               args.out_dir, args.data_root, args.size, args.epochs,
                               args.batch_size, args.label_column, args.classes, options,
                               args.name)
    except FdkdError as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'wrote {files.pair}')
    for path in (*files.uni.values(), *files.methods.values()):
        print(f'wrote {path}')
    for role in ('teacher', 'student'):
        print(f'{role}: feature width {files.widths[role]}, recorders {files.recorders[role]}')
    print('run:')
    for number, command in enumerate(files.commands, start=1):
        print(f'  {number}. {command}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
