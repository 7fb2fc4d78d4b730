"""End-to-end demo on built-in synthetic NYU-Depth V2 data, a few minutes on 2 CPU cores.

1. writes a small synthetic dataset in the real NYU on-disk layout (``data/nyu_demo``);
2. trains the depth teacher with ``configs/uni/uni_dlv3p-r18-depth_nyu.py``;
3. distils it into an RGB student with ``configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py``;
4. evaluates the distiller checkpoint with ``tools/test.py`` (the student's mIoU);
5. exports the student and evaluates it as a plain mmseg model
   (``configs/uni/uni_dlv3p-r18-rgb_nyu.py``): the mIoU must match.

Every step runs the real tools on the real configs; only sizes, schedule and paths are
overridden (``--cfg-options``) to fit a CPU. No pretrained weights are downloaded: the
backbones train from scratch, which is enough on the synthetic scenes.

Usage:
    python tools/demo.py [--work-dir work_dirs/demo] [--epochs-teacher 30] [--epochs-student 30]
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='FD-CMKD end-to-end demo on synthetic data')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/nyu_demo')
    parser.add_argument('--epochs-teacher', type=int, default=30)
    parser.add_argument('--epochs-student', type=int, default=30)
    parser.add_argument('--num-train', type=int, default=24)
    parser.add_argument('--num-test', type=int, default=8)
    return parser.parse_args()


def run(step: str, args: list[str]) -> None:
    """Run one tool as a subprocess, echoing the command; stop the demo if it fails."""
    print(f'\n=== {step}\n$ python {" ".join(args)}', flush=True)
    started = time.time()
    result = subprocess.run([sys.executable, *args], cwd=REPO)
    if result.returncode != 0:
        raise SystemExit(f'demo step "{step}" failed with exit code {result.returncode}')
    print(f'--- {step}: {time.time() - started:.0f} s', flush=True)


def read_miou(path: str) -> float:
    with open(path) as f:
        return json.load(f)['mIoU']


def main() -> None:
    args = parse_args()
    from fdkd_mm.testing import write_synthetic_nyu
    from fdkd_mm.utils.overrides import nyu_cpu_overrides

    data_root = osp.abspath(args.data_root)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    write_synthetic_nyu(data_root, num_train=args.num_train, num_test=args.num_test)
    print(f'wrote synthetic NYU-Depth V2 layout to {data_root}')

    teacher_dir = osp.join(work_dir, 'uni_dlv3p-r18-depth_nyu')
    run('train the depth teacher', [
        'tools/train.py', 'configs/uni/uni_dlv3p-r18-depth_nyu.py', '--work-dir', teacher_dir,
        '--cfg-options', *nyu_cpu_overrides(data_root, args.epochs_teacher, ['model'])])
    teacher_ckpt = osp.join(teacher_dir, f'epoch_{args.epochs_teacher}.pth')

    student_dir = osp.join(work_dir, 'fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu')
    fd_options = nyu_cpu_overrides(data_root, args.epochs_student,
                                   ['model.student', 'model.teacher'])
    fd_options.append(f'model.teacher_ckpt={teacher_ckpt}')
    run('distil depth -> RGB (FD-CMKD)', [
        'tools/train.py', 'configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py',
        '--work-dir', student_dir,
        '--cfg-options', *fd_options])
    distiller_ckpt = osp.join(student_dir, f'epoch_{args.epochs_student}.pth')

    distiller_metrics = osp.join(work_dir, 'distiller_test.json')
    run('evaluate the distiller checkpoint (student head)', [
        'tools/test.py', 'configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py', distiller_ckpt,
        '--work-dir', student_dir, '--out', distiller_metrics, '--cfg-options', *fd_options])

    student_ckpt = osp.join(work_dir, 'student_rgb.pth')
    run('export the student', [
        'tools/export_student.py', distiller_ckpt, student_ckpt,
        '--config', 'configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py'])

    exported_metrics = osp.join(work_dir, 'exported_student_test.json')
    run('evaluate the exported student as a plain mmseg model', [
        'tools/test.py', 'configs/uni/uni_dlv3p-r18-rgb_nyu.py', student_ckpt,
        '--work-dir', osp.join(work_dir, 'exported_student'), '--out', exported_metrics,
        '--cfg-options', *nyu_cpu_overrides(data_root, 1, ['model'])])

    distilled, exported = read_miou(distiller_metrics), read_miou(exported_metrics)
    print('\n=== result (synthetic NYU-Depth V2 test split, classes present in the data)')
    print(f'student mIoU via the distiller checkpoint: {distilled:.2f}')
    print(f'student mIoU as an exported mmseg model:   {exported:.2f}')
    if abs(distilled - exported) > 1e-6:
        raise SystemExit('exported student evaluates differently from the distiller')


if __name__ == '__main__':
    main()
