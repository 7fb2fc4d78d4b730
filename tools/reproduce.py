"""Reproduce a table of the paper: Uni teachers, every method in both directions, the results.

Trains the Uni teachers, then every method of the table (both directions of each dataset),
tests each student on its last-epoch checkpoint, and writes ``results.md``, ``results.csv`` and
``results.png`` beside the runs: our number (mean ± std over seeds), the paper's and the
difference, per cell. Resumable: finished runs are skipped, a killed run resumes from its last
checkpoint; a failed run is reported and the rest go on (fdkd_mm/reproduction/runner.py).

``--table unpaired`` runs our comparison without paired data instead (docs/unpaired.md): per
dataset and direction the student alone on part B, the band-heads control, class-mean KD, the
published unpaired method (sumall, bilevel; classification datasets), unpaired FD and paired
FD-CMKD on part B, each distiller with the teacher trained on part A.

The table covers every finished run of the work root: seeds and methods add up across calls
(teachers train with ``--teacher-seed``, 0, whatever ``--seeds`` are), ``--collect`` only
tabulates. The paper's column is left out on other data than the paper's (``--data-root``
elsewhere, or ``--no-paper``). ``--dry-run`` / ``--check`` print the plan: per run whether its
data and teacher checkpoint exist (``--check`` exits 1 if not). The run options (``--data-root``,
``--batch-size``, ``--workers``, ``--epochs``, ``--threads``, ``--pipeline-options``,
``--small-run``) reach every run; ``--teacher-cache`` computes each frozen teacher once.

Examples:
    python tools/reproduce.py --table 2 --dataset cremad --dry-run
    python tools/reproduce.py --table 2 --dataset cremad --students visual \\
        --methods uni kd feat dkd fdkd --seeds 0 1 2 --data-root ~/my_cremad --small-run \\
        --teacher-cache
    python tools/reproduce.py --table unpaired --dataset nyu --students rgb --seeds 0 1
    python tools/reproduce.py --table 3 --seeds 0 1 2 --gpus 8
    python tools/reproduce.py --table 4 --dataset ave --methods fdkd-freq fdkd --gpus 8 \\
        --launcher slurm --partition gpu
"""
import importlib.util
import os.path as osp
import sys
from typing import Optional

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


def _plan_without_the_stack() -> None:
    """Make ``fdkd_mm`` importable without running its ``__init__`` (which registers every
    model, dataset and transform, importing torch, mmseg and mmpretrain: most of a minute on a
    busy small machine). This process only plans, starts and tabulates runs; each run is a
    subprocess that imports the package as usual."""
    if 'fdkd_mm' in sys.modules:
        return
    package = osp.join(REPO, 'fdkd_mm')
    spec = importlib.util.spec_from_file_location(
        'fdkd_mm', osp.join(package, '__init__.py'), submodule_search_locations=[package])
    sys.modules['fdkd_mm'] = importlib.util.module_from_spec(spec)


_plan_without_the_stack()
from fdkd_mm.reproduction.cli import main as _main  # noqa: E402
from fdkd_mm.tool_errors import run_tool  # noqa: E402


def main(argv: Optional[list[str]] = None) -> int:
    """Run the plan; return 0 when every run finished, 1 otherwise (results are still written).
    """
    return _main(argv, description=__doc__.split('\n\n')[0])


if __name__ == '__main__':
    run_tool(main)
