"""Read JSON documents a pull request controls (exports, previews) within hard limits.

Past a limit, or on a value JSON can carry but Pulumi never writes (a 5,000-digit
integer, NaN, nesting deeper than any provider schema), the reader raises
`DocumentError` with one line that names the JSON path, never a traceback.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 100
MAX_INTEGER_DIGITS = 40  # far beyond any int64/uint64 a provider takes


class DocumentError(ValueError):
    """A document outside the limits or the shapes the pack reads; the message names the path."""


class _Unreadable:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _integer(text: str) -> Any:
    return int(text) if len(text.lstrip("-")) <= MAX_INTEGER_DIGITS else _Unreadable(text)


def loads(raw: str | bytes, source: str) -> Any:
    """`json.loads` within the limits above; DocumentError on any problem."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"{source} is {len(raw)} bytes, over the {MAX_DOCUMENT_BYTES} this reader takes")
    try:
        document = json.loads(raw, parse_int=_integer, parse_constant=_Unreadable)
    except RecursionError:
        raise DocumentError(f"{source} nests deeper than {MAX_DEPTH} levels") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DocumentError(f"{source} is not JSON ({error})") from None
    check_tree(document, source)
    return document


def check_tree(value: Any, source: str) -> None:
    """Depth and number checks over the whole tree, iteratively (no recursion to exhaust)."""
    stack: list[tuple[Any, str, int]] = [(value, "$", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DocumentError(f"{source}: {path} nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, _Unreadable):
            shown = item.text if len(item.text) <= 20 else f"{item.text[:12]}... ({len(item.text)} digits)"
            raise DocumentError(f"{source}: {path} holds the number {shown}, which no resource input takes")
        if isinstance(item, dict):
            stack.extend((child, f"{path}.{key}", depth + 1) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{index}]", depth + 1) for index, child in enumerate(item))
