"""Run several of the project's tools in one fresh interpreter, each as its command line would.

Usage: ``python run_tools.py RUNS.json``, RUNS a list of ``{"name", "tool", "argv"}``. Each
tool runs as ``python <tool> <argv>`` runs it (``sys.argv``, ``sys.path[0]`` = its folder,
``__name__ == '__main__'``); the interpreter's start-up (torch, the toolboxes) is paid once.
Its output is framed by ``=== begin <name> ===`` and ``=== end <name>: exit <code> ===``; an
exception escaping the tool is printed there with its traceback, as Python would print it.
"""
import json
import runpy
import sys
import traceback
from pathlib import Path


def run(tool: str, argv: list) -> object:
    """Run ``tool`` with ``argv``; return its exit status (an int or SystemExit's message)."""
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [tool, *argv]
    sys.path.insert(0, str(Path(tool).resolve().parent))
    try:
        runpy.run_path(tool, run_name='__main__')
        return 0
    except SystemExit as done:
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
            return 1
        return done.code or 0
    except Exception:  # what `python tool.py` prints before exiting with 1
        traceback.print_exc()
        return 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        sys.stdout.flush(), sys.stderr.flush()


def main() -> None:
    for spec in json.loads(Path(sys.argv[1]).read_text()):
        print(f'=== begin {spec["name"]} ===', flush=True)
        code = run(spec['tool'], spec['argv'])
        print(f'=== end {spec["name"]}: exit {code} ===', flush=True)


if __name__ == '__main__':
    main()
