"""Read the config text MMEngine stores in a checkpoint (``meta['cfg']``) without executing it.

A config is Python; ``Config.fromstring`` runs it (and its ``custom_imports``), so reading a
checkpoint's config that way would run code from the file. MMEngine writes the text as
``name = <value>`` lines whose values are literals and ``dict(...)`` calls; this evaluates just
that subset with :mod:`ast`. Anything else (an expression, a function call) becomes
:data:`UNREADABLE`, so a hostile text can at worst yield wrong values, never run.
"""
import ast
from typing import Any

#: Stands for a value that is not a plain literal.
UNREADABLE = '<unreadable>'

_UNARY = {ast.USub: lambda v: -v, ast.UAdd: lambda v: +v}


def _value(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_value(item) for item in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict):
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values) if k is not None}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == 'dict' and not node.args:
        return {kw.arg: _value(kw.value) for kw in node.keywords if kw.arg is not None}
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        operand = _value(node.operand)
        if isinstance(operand, (int, float)):
            return _UNARY[type(node.op)](operand)
    return UNREADABLE


def parse_config_text(text: str) -> dict:
    """The top-level ``name = value`` assignments of a config text, evaluated as literals.

    Args:
        text: A config's ``pretty_text`` (as in ``checkpoint['meta']['cfg']``).

    Returns:
        ``{name: value}``; values outside the literal subset are :data:`UNREADABLE`, and a text
        that is not valid Python gives ``{}``.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    values = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
                isinstance(statement.targets[0], ast.Name):
            values[statement.targets[0].id] = _value(statement.value)
    return values
