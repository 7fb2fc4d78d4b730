"""A loss file registers itself: importing ``fdkd_mm.models.losses`` imports every module in
it, so a new method needs no line in the package's ``__init__``."""
import ast
import importlib.util
import sys
from pathlib import Path

import fdkd_mm.models.losses as losses
from fdkd_mm.registry import MODELS

PROBE = '''
from torch import nn

from fdkd_mm.registry import MODELS


@MODELS.register_module()
class ProbeFileOnlyLoss(nn.Module):
    def forward(self, student_feat, teacher_feat):
        return (student_feat - teacher_feat).abs().mean()
'''


def registered_in_source(path: Path) -> set[str]:
    """Class names a module decorates with ``@MODELS.register_module()``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef) and any(
                'MODELS.register_module' in ast.unparse(decorator)
                for decorator in node.decorator_list):
            names.add(node.name)
    return names


def test_every_loss_module_is_registered():
    modules = sorted(Path(losses.__file__).parent.glob('[!_]*.py'))
    expected = set().union(*(registered_in_source(path) for path in modules))
    assert {'FDCMKDLoss', 'KDLoss', 'UnpairedFDLoss'} <= expected  # the scan finds them
    assert expected <= set(MODELS.module_dict), expected - set(MODELS.module_dict)


def test_a_new_file_in_the_package_registers_on_import(tmp_path, monkeypatch):
    """The package's __init__, run as on import over its own folder plus one holding only a
    new loss file, registers that loss."""
    (tmp_path / 'probe_file_only.py').write_text(PROBE)
    spec = importlib.util.spec_from_file_location(
        losses.__name__, losses.__file__,
        submodule_search_locations=[*losses.__path__, str(tmp_path)])
    package = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, losses.__name__, package)  # restored afterwards
    try:
        spec.loader.exec_module(package)
        registered = MODELS.module_dict.get('ProbeFileOnlyLoss')
        assert registered is not None, 'a loss file in the package was not imported'
        assert registered.__module__ == f'{losses.__name__}.probe_file_only'
    finally:
        MODELS._module_dict.pop('ProbeFileOnlyLoss', None)
        sys.modules.pop(f'{losses.__name__}.probe_file_only', None)
