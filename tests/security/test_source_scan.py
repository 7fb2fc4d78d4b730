"""No code path of the package or the tools reads a file in a way that can run code from it.

The source of ``fdkd_mm/`` and ``tools/`` is parsed (``ast``), imports resolved, and every call
that unpickles, executes text or reads a checkpoint is listed. Each must be in
:data:`REVIEWED` with the reason it is safe; ``weights_only=False`` may appear nowhere. A new
``pickle.load``, ``eval`` or ``torch.load`` fails here until it is reviewed (or, better, goes
through ``fdkd_mm.checkpoint``'s readers).
"""
import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOTS = ('fdkd_mm', 'tools')

#: Calls that execute text or unpickle whatever a file names.
FORBIDDEN_CALLS = {
    'eval', 'exec', 'compile', '__import__',
    'pickle.load', 'pickle.loads', 'pickle.Unpickler', '_pickle.load', '_pickle.loads',
    'torch.load', 'torch.jit.load', 'torch.serialization.load',
    'mmengine.load', 'mmengine.fileio.load', 'mmengine.config.Config.fromstring',
    'pandas.read_pickle', 'yaml.load', 'yaml.unsafe_load', 'joblib.load', 'dill.load',
    'dill.loads', 'marshal.load', 'marshal.loads', 'shelve.open', 'cloudpickle.load',
    'cloudpickle.loads',
}
#: Reviewed places: (file, call) -> why it cannot run code from the file it reads.
REVIEWED = {
    ('fdkd_mm/checkpoint/safe_loading.py', 'torch.load'):
        'the one checkpoint reader: weights_only=True, MMEngine types allowed per load',
    ('fdkd_mm/checkpoint/array_pickle.py', 'pickle.Unpickler'):
        'the restricted unpickler: find_class admits numpy arrays and plain data only',
    ('fdkd_mm/apis/export.py', 'torch.load'):
        'verify_export reads back the file it just wrote with plain weights_only=True, '
        'stricter than the safe reader, to prove it loads without fdkd_mm',
}
NO_PICKLE_CHECKS = re.compile(r'weights_only\s*=\s*False|allow_pickle\s*=\s*True')


def _imports(tree: ast.AST) -> dict:
    """Local name -> the dotted name it stands for, from the module's imports."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split('.')[0]] = \
                    alias.name if alias.asname else alias.name.split('.')[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f'{node.module}.{alias.name}'
    return names


def _dotted(node: ast.AST):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return '.'.join([node.id, *reversed(parts)])
    return None


_ALIASES = {'np': 'numpy', 'pd': 'pandas'}


def _canonical(dotted: str, imports: dict) -> str:
    head, _, rest = dotted.partition('.')
    head = imports.get(head, _ALIASES.get(head, head))
    name = f'{head}.{rest}' if rest else head
    # Config.fromstring reached through mmengine.Config or mmengine.config.config.Config
    return re.sub(r'^mmengine(\.config)*\.Config\.', 'mmengine.config.Config.', name)


def findings(source: str, path: str, reviewed: dict = REVIEWED) -> list:
    """``(line, what)`` for every code-running read in ``source`` not in ``reviewed``."""
    tree = ast.parse(source, path)
    imports = _imports(tree)
    found = [(source.count('\n', 0, match.start()) + 1, match.group(0))
             for match in NO_PICKLE_CHECKS.finditer(source)]
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Call):
            targets.append((node.func, node))
        elif isinstance(node, ast.ClassDef):  # subclassing an unpickler is reading pickles too
            targets += [(base, None) for base in node.bases]
        for target, call in targets:
            dotted = _dotted(target)
            if dotted is None:
                continue
            name = _canonical(dotted, imports)
            if name not in FORBIDDEN_CALLS or (path, name) in reviewed:
                if name == 'torch.load' and call is not None and not _weights_only(call):
                    found.append((node.lineno, 'torch.load without weights_only=True'))
                continue
            found.append((node.lineno, name))
    return found


def _weights_only(call: ast.Call) -> bool:
    return any(k.arg == 'weights_only' and isinstance(k.value, ast.Constant)
               and k.value.value is True for k in call.keywords)


def source_files() -> list:
    return sorted(path for root in ROOTS for path in (REPO / root).rglob('*.py'))


def test_no_unreviewed_code_running_reads_in_the_package_and_tools():
    problems = []
    for path in source_files():
        relative = path.relative_to(REPO).as_posix()
        problems += [f'{relative}:{line}: {what}'
                     for line, what in findings(path.read_text(encoding='utf-8'), relative)]
    assert not problems, 'unreviewed reads that can run code:\n' + '\n'.join(problems)


def test_every_reviewed_place_is_still_there():
    """A stale allow-list entry would silently admit a new call in that file later."""
    for relative, name in REVIEWED:
        source = (REPO / relative).read_text(encoding='utf-8')
        unreviewed = [what for _, what in findings(source, relative, reviewed={})]
        assert name in unreviewed, f'{relative} no longer uses {name}: drop it from REVIEWED'


@pytest.mark.parametrize('snippet, expected', [
    ('import pickle\npickle.load(f)', 'pickle.load'),
    ('import pickle as p\np.loads(b)', 'pickle.loads'),
    ('from pickle import load\nload(f)', 'pickle.load'),
    ('import pickle\nclass U(pickle.Unpickler): pass', 'pickle.Unpickler'),
    ('eval(text)', 'eval'),
    ('exec(text)', 'exec'),
    ('import torch\ntorch.load(p)', 'torch.load'),
    ('from torch import load\nload(p, weights_only=True)', 'torch.load'),
    ('from mmengine.config import Config\nConfig.fromstring(t, ".py")',
     'mmengine.config.Config.fromstring'),
    ('from mmengine import Config\nConfig.fromstring(t, ".py")',
     'mmengine.config.Config.fromstring'),
    ('import mmengine\nmmengine.load("x.pkl")', 'mmengine.load'),
    ('import numpy as np\nnp.load(p, allow_pickle=True)', 'allow_pickle=True'),
    ('x = dict(weights_only=False)', 'weights_only=False'),
])
def test_the_scan_catches_each_form(snippet, expected):
    assert [what for _, what in findings(snippet, 'somewhere.py')] == [expected]


def test_the_scan_leaves_safe_calls_alone():
    safe = ('import numpy as np\nimport torch\nnp.load(p, allow_pickle=False)\nmodel.eval()\n'
            're.compile("x")\njson.loads(s)\n')
    assert findings(safe, 'somewhere.py') == []
    reviewed = 'import torch\ntorch.load(p, weights_only=True)'
    assert findings(reviewed, 'fdkd_mm/checkpoint/safe_loading.py') == []
    assert findings('import torch\ntorch.load(p)', 'fdkd_mm/checkpoint/safe_loading.py') == \
        [(2, 'torch.load without weights_only=True')]
