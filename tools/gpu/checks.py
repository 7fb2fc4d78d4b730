"""The GPU checks: independent, time-boxed sections, one JSON + Markdown report.

``tools/gpu/run_checks.sh`` runs this with the kit's interpreter after installing; it can also
run on its own in an environment that has the project's packages::

    python tools/gpu/checks.py --out work_dirs/gpu_checks --budget 420 [--cpu] [--quick]

Every section (:data:`SECTIONS`) runs in a process of its own with a time limit, a share of
what is left of the budget (time a section leaves unused goes to the ones after it). A
section writes its numbers into its result file as it measures; when it fails or runs out of
time, the report keeps what it wrote and records the error or the timeout, and the next
section starts. ``report.json`` and ``report.md`` are rewritten after every section, so a
run killed from outside still leaves the sections finished so far.

This file uses only the standard library: it runs, and reports, even when the installation
before it failed.
"""
import argparse
import collections
import importlib
import json
import os
import os.path as osp
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Optional, Sequence

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from common import TIME_LIMIT_EXIT  # noqa: E402  (standard library only, as this file)


@dataclass(frozen=True)
class Section:
    """One check: its module in ``tools/gpu`` (with a ``run(ctx)``), its share of the budget
    and the least time it is given while that much is left (its imports alone take seconds)."""

    name: str
    module: str
    weight: float
    title: str
    min_s: float = 30


SECTIONS = (
    Section('env', 'env_info', 0.03, 'Machine and packages'),
    Section('amp_loss', 'amp_loss', 0.07, 'FD-CMKD loss under autocast'),
    Section('step', 'step_bench', 0.42, 'Distillation step at the paper sizes', 60),
    Section('ddp', 'ddp_run', 0.16, 'torchrun DDP run of the NYU demo config', 45),
    Section('curve', 'loss_curve', 0.16, 'Loss curve: device against CPU, same seed', 45),
    Section('data', 'data_rate', 0.16, 'Data-pipeline throughput'),
)
#: Seconds a section is given after its own deadline to write its results and exit.
GRACE_S = 8
#: Seconds kept back at the end of the budget for the final report.
RESERVE_S = 3


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Measure the distiller on a GPU (or CPU)')
    parser.add_argument('--out', default=os.environ.get('OUT') or 'work_dirs/gpu_checks',
                        help='where report.json and report.md go (default $OUT)')
    parser.add_argument('--budget', type=float, default=420,
                        help='seconds for all sections together')
    parser.add_argument('--cpu', action='store_true', help='run on the CPU (no CUDA)')
    parser.add_argument('--quick', action='store_true', help='tiny sizes, few rounds')
    parser.add_argument('--sections', nargs='+', choices=[s.name for s in SECTIONS],
                        help='run only these (default: all)')
    parser.add_argument('--install', help='key=value lines run_checks.sh wrote of the install')
    parser.add_argument('--workdir', help='scratch folder, not under --out (default: a new '
                        'temporary folder)')
    # A section's own process (internal).
    parser.add_argument('--section', help=argparse.SUPPRESS)
    parser.add_argument('--module', help=argparse.SUPPRESS)
    parser.add_argument('--result', help=argparse.SUPPRESS)
    parser.add_argument('--deadline', type=float, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- one section
def section_command(section: Section, args: argparse.Namespace, result: str,
                    deadline: float) -> list[str]:
    """The command line of a section's own process."""
    command = [sys.executable, osp.abspath(__file__), '--section', section.name,
               '--module', section.module, '--result', result, '--deadline', f'{deadline:.3f}',
               '--out', args.out, '--workdir', args.workdir]
    return command + (['--cpu'] if args.cpu else []) + (['--quick'] if args.quick else [])


def _stream(pipe, prefix: str, tail: collections.deque) -> None:
    """Copy a child's output lines to ours (prefixed) and keep the last ones."""
    for line in iter(pipe.readline, ''):
        tail.append(line)
        sys.stdout.write(f'[{prefix}] {line}')
        sys.stdout.flush()
    pipe.close()


def _stop(process: subprocess.Popen) -> None:
    """End a section's process group (it may have started trainers): TERM, then KILL."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_section(name: str, command: list[str], result_path: str, timeout: float,
                env: Optional[dict] = None) -> dict:
    """Run one section's process with a time limit and collect what it wrote.

    Args:
        name: The section's name (prefixes its output lines).
        command: Its command line.
        result_path: The JSON file it writes its results into (read even after a failure).
        timeout: Seconds before its process group is stopped.
        env: Its environment (default ours).

    Returns:
        ``status`` (``ok``, ``error`` or ``timeout``), ``wall_s``, ``timeout_s``,
        ``returncode``, ``result`` (whatever the section saved, possibly partial) and, unless
        ok, ``error`` (the last lines of its output).
    """
    if osp.exists(result_path):
        os.remove(result_path)
    tail = collections.deque(maxlen=40)
    start = time.monotonic()
    # A session of its own: a timeout stops the section and every process it started.
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    reader = threading.Thread(target=_stream, args=(process.stdout, name, tail), daemon=True)
    reader.start()
    try:
        returncode = process.wait(max(timeout, 1))
        status = {0: 'ok', TIME_LIMIT_EXIT: 'timeout'}.get(returncode, 'error')
    except subprocess.TimeoutExpired:
        _stop(process)
        returncode, status = process.returncode, 'timeout'
    reader.join(5)
    record = dict(status=status, wall_s=round(time.monotonic() - start, 2),
                  timeout_s=round(timeout, 1), returncode=returncode, result=None)
    try:
        with open(result_path) as f:
            record['result'] = json.load(f)
    except (OSError, ValueError) as error:
        record['result_error'] = f'no readable results: {error}'
    if status != 'ok':
        record['error'] = ''.join(tail)[-3000:] or f'exit code {returncode}, no output'
        if status == 'timeout' and returncode != TIME_LIMIT_EXIT:
            record['error'] = f'stopped after {timeout:.0f} s\n' + record['error']
    return record


def share(remaining: float, weights: list[float], min_s: float = 0.0) -> float:
    """Seconds for the first of ``weights`` out of ``remaining``.

    Args:
        remaining: Seconds left for this and the later sections.
        weights: The weights of this section and the later ones.
        min_s: The least this section gets while ``remaining`` allows.

    Returns:
        Its weight's share of the sections still to run (so time the earlier ones left unused
        flows to the later ones), at least ``min_s``, at most ``remaining``.
    """
    proportional = remaining * weights[0] / sum(weights)
    return max(0.0, min(remaining, max(proportional, min_s)))


# --------------------------------------------------------------------------------- report
def read_install(path: Optional[str]) -> dict:
    """The ``key=value`` lines run_checks.sh wrote of the installation."""
    if not path or not osp.exists(path):
        return {}
    info = {}
    with open(path) as f:
        for line in f:
            if '=' in line:
                key, value = line.rstrip('\n').split('=', 1)
                info[key] = value
    return info


def write_report(out: str, report: dict) -> None:
    """``report.json`` and ``report.md`` in ``out`` (each written to a temporary file first)."""
    from report_md import render  # stdlib only as well
    os.makedirs(out, exist_ok=True)
    for name, text in (('report.json', json.dumps(report, indent=1)),
                       ('report.md', render(report))):
        tmp = osp.join(out, f'.{name}.tmp')
        with open(tmp, 'w') as f:
            f.write(text + '\n')
        os.replace(tmp, osp.join(out, name))


def orchestrate(args: argparse.Namespace, sections: Sequence[Section] = SECTIONS) -> dict:
    """Run the sections in order within the budget, rewriting the report after each.

    Args:
        args: The parsed command line (``out``, ``budget``, ``workdir``, ``cpu``, ``quick``,
            ``sections``, ``install``).
        sections: The sections to run (those named in ``args.sections`` when given).

    Returns:
        The report as written to ``args.out``.
    """
    started = time.time()
    deadline = started + args.budget - RESERVE_S
    sections = [s for s in sections if not args.sections or s.name in args.sections]
    os.makedirs(args.workdir, exist_ok=True)
    report = dict(
        mode=dict(device='cpu' if args.cpu else 'cuda', quick=args.quick, budget_s=args.budget,
                  started=time.strftime('%Y-%m-%d %H:%M:%S %z', time.localtime(started)),
                  host=platform.node(), python=sys.version.split()[0]),
        install=read_install(args.install),
        sections={s.name: dict(status='pending', title=s.title) for s in sections})
    write_report(args.out, report)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [REPO] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]),
        PYTHONUNBUFFERED='1')
    if args.cpu:
        env['CUDA_VISIBLE_DEVICES'] = ''  # the same code path on CPU, whatever is installed
    if args.cpu and args.quick:
        # CI: one thread per process; on a small machine shared with other jobs more threads
        # only contend (docs/performance.md).
        env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    for index, section in enumerate(sections):
        remaining = deadline - time.time()
        timeout = share(remaining, [s.weight for s in sections[index:]], section.min_s)
        if timeout < 5:
            report['sections'][section.name] = dict(
                status='skipped', title=section.title,
                error=f'no budget left ({remaining:.0f} s for {len(sections) - index} '
                      'sections)')
            write_report(args.out, report)
            continue
        print(f'=== {section.name}: {section.title} (up to {timeout:.0f} s)', flush=True)
        result_path = osp.join(args.workdir, f'{section.name}.json')
        command = section_command(section, args, result_path,
                                  time.time() + max(timeout - GRACE_S, timeout * 0.8))
        record = run_section(section.name, command, result_path, timeout, env)
        report['sections'][section.name] = dict(title=section.title, **record)
        print(f'=== {section.name}: {record["status"]} in {record["wall_s"]:.0f} s', flush=True)
        write_report(args.out, report)
    report['wall_s'] = round(time.time() - started, 1)
    write_report(args.out, report)
    return report


# ---------------------------------------------------------------------- a section's process
def run_one(args: argparse.Namespace) -> None:
    """Inside a section's process: build its context and call its module's ``run``."""
    for path in (REPO, HERE, osp.join(REPO, 'tools', 'analysis')):
        if path not in sys.path:
            sys.path.insert(0, path)
    from common import Context, Result, TimeLimit
    workdir = osp.join(args.workdir, args.section)
    os.makedirs(workdir, exist_ok=True)
    result = Result(args.result)
    result.save()  # an empty, readable result even if the import below fails
    ctx = Context(device='cpu' if args.cpu else 'cuda', quick=args.quick,
                  deadline=args.deadline, workdir=workdir, result=result,
                  python=sys.executable)
    try:
        importlib.import_module(args.module).run(ctx)
    except TimeLimit as error:
        result.put('time_limit', str(error))
        print(f'stopped at the time limit: {error}', flush=True)
        sys.exit(TIME_LIMIT_EXIT)
    result.save()


def main(argv: Optional[list] = None) -> int:
    args = parse_args(argv)
    args.out = osp.abspath(args.out)
    # Not under --out: only the report should come back from a device machine.
    args.workdir = osp.abspath(args.workdir or tempfile.mkdtemp(prefix='fdkd_gpu_checks_'))
    if args.section:
        run_one(args)
        return 0
    report = orchestrate(args)
    statuses = {name: record['status'] for name, record in report['sections'].items()}
    print('sections: ' + ', '.join(f'{name} {status}' for name, status in statuses.items()))
    print(f'report: {osp.join(args.out, "report.json")} and report.md')
    return 0 if all(status == 'ok' for status in statuses.values()) else 1


if __name__ == '__main__':
    sys.exit(main())
