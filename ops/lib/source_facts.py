"""Facts read from another program's source without running it: a constant of the bootstrap
project, the name the policy pack gives itself. Importing those programs would run them (or
need their script directory on sys.path); their source stays the one place the fact lives."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=None)
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def constant(path: Path, name: str) -> Any:
    """The literal value of the module-level assignment `name = ...` in `path`."""
    for node in _tree(path).body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return ast.literal_eval(node.value)
    raise LookupError(f"{path} has no module-level {name} = ...")


def call_keyword(path: Path, function: str, keyword: str) -> Any:
    """The literal value of `keyword=` in the first call of `function(...)` in `path`."""
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == function:
            for argument in node.keywords:
                if argument.arg == keyword:
                    return ast.literal_eval(argument.value)
    raise LookupError(f"{path} has no call {function}({keyword}=...)")
