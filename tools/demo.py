"""End-to-end demo on built-in synthetic NYU-Depth V2 data (ten short runs on the CPU).

1. writes a small synthetic dataset in the real NYU on-disk layout (``data/nyu_demo``) whose
   object classes come in pairs of nearly the same colour but different depths, so depth
   tells them apart and RGB only weakly (``rgb_cue``), as depth helps in real indoor scenes;
2. through the reproduction runner (the machinery of ``tools/reproduce.py``): trains the depth
   teacher (``configs/uni/uni_dlv3p-r18-depth_nyu.py``), then, for each seed, the RGB student
   alone (``configs/uni/uni_dlv3p-r18-rgb_nyu.py``), with Feat and with FD-CMKD, and tests each
   on the same synthetic test split;
3. prints the comparison (mIoU per seed, mean ± std) and, per method, its gain over the student
   alone with the standard error of that gain, saying whether it exceeds the seed spread on
   this machine; writes it to ``<work-dir>/results.md`` (and ``results.png``);
4. exports the first FD-CMKD student and evaluates it as a plain mmseg model: its mIoU must be
   the distiller's; prints where the student's weights and config are.

Every run prints one line per epoch (loss, eta) and its evaluation; the full logs are in each
run's folder. The numbers are bit-reproducible on one machine with one thread count
(``OMP_NUM_THREADS``) only: another CPU or thread count sums in another order, and over a few
epochs the runs drift apart (docs/get_started.md#the-demo).

Every run uses the real tools on the real configs; only sizes, schedule and paths are
overridden (``--cfg-options``, fdkd_mm/testing/overrides.py) to fit a CPU, and no pretrained
weights are downloaded (the backbones train from scratch). Run logs go to the work dir.

Usage:
    python tools/demo.py [--work-dir work_dirs/demo] [--epochs 15] [--seeds 0 1 2]
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

NAMES = dict(uni='RGB student alone', feat='Feat', fdkd='FD-CMKD')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='FD-CMKD end-to-end demo on synthetic data')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/nyu_demo')
    parser.add_argument('--epochs', type=int, default=15, help='epochs of every run')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='seeds of every student (three: a spread to compare gains with)')
    parser.add_argument('--num-train', type=int, default=24)
    parser.add_argument('--num-test', type=int, default=24,
                        help='test scenes (more: less noise in each mIoU)')
    parser.add_argument('--rgb-cue', type=float, default=0.35,
                        help='how distinct paired classes look in RGB (1: fully, 0: not)')
    return parser.parse_args()


def tool(step: str, args: list[str], log: str) -> None:
    """Run one tool with its output into ``log``; stop the demo if it fails."""
    print(f'--- {step}', flush=True)
    with open(log, 'w') as out:
        result = subprocess.run([sys.executable, *args], cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise SystemExit(f'demo step "{step}" failed with exit code {result.returncode}; '
                         f'see {log}')


def main() -> None:
    args = parse_args()
    from fdkd_mm.checkpoint.atomic import write_text_atomic
    from fdkd_mm.reproduction.runner import Launcher, cell_results, execute, plan_runs
    from fdkd_mm.reproduction.demo_report import verdict_lines
    from fdkd_mm.reproduction.tables import plot_summaries, seeds_markdown
    from fdkd_mm.testing import write_synthetic_nyu
    from fdkd_mm.testing.overrides import nyu_cpu_overrides

    started = time.time()
    data_root = osp.abspath(args.data_root)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    write_synthetic_nyu(data_root, num_train=args.num_train, num_test=args.num_test,
                        rgb_cue=args.rgb_cue)
    print(f'wrote synthetic NYU-Depth V2 layout to {data_root} (rgb_cue {args.rgb_cue})')

    runs = plan_runs(3, ['nyu'], ['uni', 'feat', 'fdkd'], args.seeds, work_dir,
                     students=['rgb'])
    uni = nyu_cpu_overrides(data_root, args.epochs, ['model'])
    distill = nyu_cpu_overrides(data_root, args.epochs, ['model.student', 'model.teacher'])
    threads = os.environ.get('OMP_NUM_THREADS', 'unset (torch default)')
    print(f'{len(runs)} runs of {args.epochs} epochs; OMP_NUM_THREADS {threads}; one line per '
          'epoch, full logs in each run\'s folder', flush=True)
    outcomes = execute(runs, Launcher(), lambda run: distill if run.is_distiller else uni,
                       log=lambda line: print(line, flush=True))
    failed = [o for o in outcomes if o.status != 'done']
    if failed:
        raise SystemExit('demo runs failed: ' + '; '.join(f'{o.run.name}: {o.message}'
                                                          for o in failed))
    results = cell_results(runs, outcomes)

    # The first FD-CMKD student as a plain mmseg model: the same mIoU as through the distiller.
    fd_run = next(run for run in runs if run.cells and run.cells[0].method == 'fdkd')
    student = osp.join(work_dir, 'student_rgb.pth')
    tool('export the FD-CMKD student', [
        'tools/export_student.py', fd_run.last_checkpoint(), student, '--config', fd_run.config],
        osp.join(work_dir, 'export.log'))
    exported_metrics = osp.join(work_dir, 'exported_student_test.json')
    tool('evaluate the exported student as a plain mmseg model', [
        'tools/test.py', 'configs/uni/uni_dlv3p-r18-rgb_nyu.py', student,
        '--work-dir', osp.join(work_dir, 'exported_student'), '--out', exported_metrics,
        '--cfg-options', *nyu_cpu_overrides(data_root, 1, ['model'])],
        osp.join(work_dir, 'exported_student.log'))
    with open(exported_metrics) as f:
        exported = json.load(f)['mIoU']
    distilled = fd_run.metric('mIoU')

    title = (f'RGB students on the synthetic NYU-Depth V2 test split ({args.num_test} scenes; '
             f'mIoU over the classes present), {args.epochs} epochs, seeds {args.seeds}, depth '
             f'teacher for Feat and FD-CMKD; OMP_NUM_THREADS {threads}')
    table = seeds_markdown(results, NAMES, 'RGB student')
    verdicts = verdict_lines(results, NAMES, 'uni')
    exported_line = (f'exported FD-CMKD student: {student} (weights) and '
                     f'{osp.splitext(student)[0]}.py (plain mmseg config); as a plain mmseg '
                     f'model mIoU {exported:.2f} (through the distiller: {distilled:.2f})')
    report = '\n'.join([f'# Demo results\n\n{title}\n', table, '',
                        *(f'- {line}' for line in verdicts), '', exported_line,
                        '\nNumbers are bit-reproducible on this machine with this thread count '
                        'only; other CPUs or thread counts give other numbers.\n'])
    results_md = osp.join(work_dir, 'results.md')
    write_text_atomic(results_md, report)
    plot = plot_summaries(osp.join(work_dir, 'results.png'), results)
    print(f'\n=== {title}')
    print(table)
    for line in verdicts:
        print(line)
    print(f'\n{exported_line}')
    print(f'table written to {results_md} and {plot}')
    print(f'total {time.time() - started:.0f} s; runs and logs in {work_dir}')
    if abs(distilled - exported) > 1e-6:
        raise SystemExit('the exported student evaluates differently from the distiller')

if __name__ == '__main__':
    from fdkd_mm.tool_errors import run_tool
    run_tool(main)
