"""What the documentation names exists: repository paths, links and tool options.

Scanned: README.md, configs/README.md and docs/*.md. In their code (inline spans and fenced
blocks) every path under ``configs/``, ``tools/``, ``docs/`` or ``fdkd_mm/`` must exist; a path
with placeholders (``<method>``, ``*``) must match at least one file, every alternative of a
``{a,b}`` group alike. Every relative
link must reach a file, and its ``#anchor`` a heading of that file. Every ``--option`` written
after a ``tools/`` script in the same command must be an option of that script's argparse parser
(``dist_train.sh`` / ``slurm_train.sh`` pass theirs to ``train.py``, ``dist_test.sh`` to
``test.py``). A page that shows files the reader creates lists them in a comment
``<!-- created by the reader: PATH ... -->``; only those are exempt.
"""
import argparse
import glob
import importlib.util
import itertools
import re
from pathlib import Path
from unittest import mock

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / 'README.md', REPO / 'configs' / 'README.md',
         *sorted((REPO / 'docs').glob('*.md'))]
#: Shell launchers and the Python tool whose options they pass on.
LAUNCHERS = {'tools/dist_train.sh': 'tools/train.py', 'tools/slurm_train.sh': 'tools/train.py',
             'tools/dist_test.sh': 'tools/test.py'}

# Fences may be indented (inside list items).
FENCE = re.compile(r'^[ \t]*(```|~~~)[^\n]*\n(.*?)^[ \t]*\1', re.MULTILINE | re.DOTALL)
INLINE = re.compile(r'(`+)(.+?)\1', re.DOTALL)
LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
# Not preceded by a path character: `.../mmseg/.mim/tools/test.py` is not ours.
PATH = re.compile(r'(?<![\w./<>*{}-])((?:configs|tools|docs|fdkd_mm)/'
                  r'(?:[\w.\-/*]|<[^<>\n]*>|\{[\w.,-]*\})*)')
TOOL = re.compile(r'(?<![\w./-])(tools/[\w/]+\.(?:py|sh))\b')
OPTION = re.compile(r'(?<![\w-])(--[A-Za-z][\w-]*)')
CREATED = re.compile(r'<!--\s*created by the reader:(.*?)-->', re.DOTALL)
# Where a command ends on a line: a comment, a command separator or a pipe.
COMMAND_END = re.compile(r'\s#|;|&&|\s\|\s')


def code_and_prose(text: str) -> tuple[list[str], str]:
    """The code of a Markdown page (fenced blocks, then inline spans, whose line breaks are
    soft wraps) and the prose left."""
    blocks = [match.group(2) for match in FENCE.finditer(text)]
    prose = FENCE.sub('', text)
    spans = [' '.join(match.group(2).split('\n'))
             for paragraph in re.split(r'\n\s*\n', prose)
             for match in INLINE.finditer(paragraph)]
    return blocks + spans, INLINE.sub('', prose)


def repo_paths(code: str) -> list[str]:
    """Every ``configs/``, ``tools/``, ``docs/`` or ``fdkd_mm/`` path in a piece of code."""
    return [match.group(1).rstrip('.') for match in PATH.finditer(code)]


def expand_braces(pattern: str) -> list[str]:
    """``a{b,c}d`` -> ``['abd', 'acd']`` (shell brace expansion, every group)."""
    parts = re.split(r'\{([^{}]*)\}', pattern)
    choices = [[part] if index % 2 == 0 else part.split(',')
               for index, part in enumerate(parts)]
    return [''.join(combination) for combination in itertools.product(*choices)]


def path_exists(path: str) -> bool:
    """A literal path exists; a pattern (``<name>``, ``*``) matches something, each
    alternative of a ``{a,b}`` group alike."""
    pattern = re.sub(r'<[^<>]*>', '*', path)
    if not any(char in pattern for char in '*{'):
        return (REPO / path).exists()
    return all(glob.glob(str(REPO / expanded)) for expanded in expand_braces(pattern))


def heading_anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces -> -."""
    text = FENCE.sub('', page.read_text())
    headings = re.findall(r'^#+\s+(.*?)\s*$', text, re.MULTILINE)
    return {re.sub(r'[^\w\- ]', '', heading.lower()).replace(' ', '-') for heading in headings}


def created_by_reader(text: str) -> set[str]:
    """The paths a page's ``<!-- created by the reader: ... -->`` comments list."""
    return {path.rstrip('/') for match in CREATED.finditer(text)
            for path in match.group(1).split()}


def commands(code: str) -> list[str]:
    """The command lines of a code span or block, continuation lines joined."""
    return code.replace('\\\n', ' ').splitlines()


def tool_options_used(code: str) -> list[tuple[str, str]]:
    """(tool, --option) for every option written after a tools/ script in one command."""
    found = []
    for line in commands(code):
        line = COMMAND_END.split(line)[0]
        tools = list(TOOL.finditer(line))
        for index, tool in enumerate(tools):
            end = tools[index + 1].start() if index + 1 < len(tools) else len(line)
            found += [(tool.group(1), option)
                      for option in OPTION.findall(line[tool.end():end])]
    return found


class _ParserBuilt(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__()
        self.parser = parser


def _stop_at_parse(parser, *args, **kwargs):
    raise _ParserBuilt(parser)


_OPTIONS: dict[str, set[str]] = {}


def parser_options(tool: str) -> set[str]:
    """The option strings of a tool's argparse parser: its ``parse_args`` (else ``main``) runs
    until the parser parses, which is stopped there, so nothing of the tool itself runs."""
    if tool not in _OPTIONS:
        spec = importlib.util.spec_from_file_location(
            'docs_tool_' + re.sub(r'\W', '_', tool), REPO / tool)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        entry = getattr(module, 'parse_args', None) or module.main
        with mock.patch.object(argparse.ArgumentParser, 'parse_args', _stop_at_parse):
            try:
                entry()
            except _ParserBuilt as built:
                _OPTIONS[tool] = set(built.parser._option_string_actions)
            else:
                raise AssertionError(f'{tool}: no argparse parser reached parse_args')
    return _OPTIONS[tool]


#: A shell script's options: the ``case`` arms of its argument loop (``--kit) ...;;``).
CASE_ARM = re.compile(r'^\s*((?:--[a-z][a-z0-9-]*\|?)+)\)', re.M)


def script_options(tool: str) -> set[str]:
    """The option strings a shell tool's argument loop accepts."""
    arms = CASE_ARM.findall((REPO / tool).read_text())
    return {option for arm in arms for option in arm.split('|') if option}


def page_id(page: Path) -> str:
    return page.relative_to(REPO).as_posix()


@pytest.mark.parametrize('page', PAGES, ids=page_id)
def test_repository_paths_named_in_code_exist(page):
    text = page.read_text()
    code, _ = code_and_prose(text)
    exempt = created_by_reader(text)
    missing = sorted({path for span in code for path in repo_paths(span)
                      if path.rstrip('/') not in exempt and not path_exists(path)})
    assert not missing, f'{page_id(page)} names paths that do not exist: {missing}'


@pytest.mark.parametrize('page', PAGES, ids=page_id)
def test_relative_links_reach_a_file_and_heading(page):
    _, prose = code_and_prose(page.read_text())
    broken = []
    for target in LINK.findall(prose):
        if re.match(r'[a-z]+:', target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition('#')
        linked = (page.parent / file_part).resolve() if file_part else page
        if not linked.exists():
            broken.append(f'{target} (no such file)')
        elif anchor and linked.suffix == '.md' and anchor not in heading_anchors(linked):
            broken.append(f'{target} (no heading #{anchor})')
    assert not broken, f'{page_id(page)}: broken links {broken}'


def test_every_tool_option_in_the_docs_is_in_its_parser():
    unknown = set()
    for page in PAGES:
        code, _ = code_and_prose(page.read_text())
        for tool, option in (pair for span in code for pair in tool_options_used(span)):
            tool = LAUNCHERS.get(tool, tool)
            if tool.endswith('.sh'):
                if option not in script_options(tool):
                    unknown.add(f'{page_id(page)}: {tool} has no option {option}')
            elif not tool.endswith('.py'):
                unknown.add(f'{page_id(page)}: {tool} {option} (a tool without options)')
            elif option not in parser_options(tool):
                unknown.add(f'{page_id(page)}: {tool} has no option {option}')
    assert not unknown, sorted(unknown)


def test_readme_is_an_entry_point():
    lines = (REPO / 'README.md').read_text().splitlines()
    assert len(lines) <= 150, f'README.md has {len(lines)} lines; the manual lives in docs/'
    # The set-up commands CI and users run as typed stay the README's first lines.
    first = [line for line in lines if line.strip()][:2]
    assert '`bash tools/setup_env.sh && .venv/bin/python tools/demo.py`' in first[0]
    assert '`bash tools/setup_env.sh && .venv/bin/python -m pytest`' in first[1]
    assert lines[lines.index(first[1]) + 2] == '# fdkd_mm'


def test_every_docs_page_is_linked_from_the_readme():
    _, prose = code_and_prose((REPO / 'README.md').read_text())
    linked = {target.partition('#')[0] for target in LINK.findall(prose)}
    unlinked = [page_id(page) for page in PAGES[2:] if page_id(page) not in linked]
    assert not unlinked, f'README.md does not link {unlinked}'


# ---------------------------------------------------------------- the scanner itself
def test_scanner_finds_paths_options_and_patterns():
    code, prose = code_and_prose(
        'See `tools/train.py CFG --work-dir D` and [x](docs/x.md).\n\n'
        '```\npython tools/test.py CFG CKPT \\\n    --out m.json  # then --nothing\n'
        'python .../mmseg/.mim/tools/test.py C K --show-dir D\n```\n')
    found = sorted(path for span in code for path in repo_paths(span))
    assert found == ['tools/test.py', 'tools/train.py']  # not mmseg's .mim/tools/test.py
    assert sorted(pair for span in code for pair in tool_options_used(span)) == [
        ('tools/test.py', '--out'), ('tools/train.py', '--work-dir')]
    assert LINK.findall(prose) == ['docs/x.md']
    assert path_exists('configs/<method>/<method>_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py')
    assert path_exists('tools/dataset_converters/{cremad,ave}.py')
    assert not path_exists('configs/<method>/no_such_cell.py')
    assert not path_exists('tools/dataset_converters/{cremad,nosuch}.py')
