"""Preview output in the shape `pulumi preview` prints: the resource table with its operation
column and tree, `Policies:`, `Outputs:` and the `Resources:` summary.

Shapes follow the Pulumi CLI's display code (pkg/backend/display in pulumi/pulumi): short
type tokens (`simplifyTypeName`), the `├─ │  └─` tree, `+ N to create`, the policy pack line
and `- [level]  policy  (type: name)` entries. Colour only on a terminal and never when
NO_COLOR is set (no-color.org); where the output encoding cannot carry the box-drawing
characters (PYTHONIOENCODING=ascii, say) ASCII stands in for them.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence, TextIO

STACK_TYPE = "pulumi:pulumi:Stack"
SUMMARY_WIDTH = 96

_RESET = "\x1b[0m"
_HEADLINE = "\x1b[1;95m"   # the CLI's SpecHeadline: bold bright magenta
_CREATE = "\x1b[32m"       # OpCreate's colour: green
_MANDATORY = "\x1b[31m"    # SpecError
_ADVISORY = "\x1b[33m"     # SpecImportant
_UNICODE_GLYPHS = ("├─ ", "└─ ", "│  ", "✅", "❌")
_ASCII_GLYPHS = ("|- ", "`- ", "|  ", "[passed]", "[failed]")


def wants_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def can_encode(stream: TextIO, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


@dataclass(frozen=True)
class Style:
    colour: bool
    unicode: bool

    @classmethod
    def for_stream(cls, stream: TextIO) -> "Style":
        return cls(wants_colour(stream), can_encode(stream, "".join(_UNICODE_GLYPHS)))

    def paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.colour and text else text

    def headline(self, text: str) -> str:
        return self.paint(text, _HEADLINE)

    @property
    def glyphs(self) -> tuple[str, ...]:
        return _UNICODE_GLYPHS if self.unicode else _ASCII_GLYPHS


def short_type(resource_type: str) -> str:
    """`aws:s3/bucketV2:BucketV2` -> `aws:s3:BucketV2`, as the CLI shows types: the module's
    last segment is dropped when it is the type name in camelCase."""
    parts = resource_type.split(":")
    if len(parts) != 3 or not parts[2] or "/" not in parts[1]:
        return resource_type
    package, module, name = parts
    head, _, file = module.rpartition("/")
    if file != name[0].lower() + name[1:]:
        return resource_type
    return f"{package}:{head}:{name}"


# --- the resource table ---

def _children_by_parent(resources: Sequence[Mapping[str, Any]]) -> dict[str | None, list[Mapping[str, Any]]]:
    """Siblings by type and name: registration order varies from run to run (the SDK
    registers from executor threads), and a stable order diffs well."""
    known = {resource["urn"] for resource in resources}
    children: dict[str | None, list[Mapping[str, Any]]] = {}
    for resource in sorted(resources, key=lambda r: (r["type"], r["name"], r["urn"])):
        parent = resource.get("parent")
        children.setdefault(parent if parent in known else None, []).append(resource)
    return children


def _walk(resources: Sequence[Mapping[str, Any]]) -> Iterator[tuple[Mapping[str, Any], list[bool]]]:
    """Each resource after its parent, with whether it and each ancestor is a last child."""
    children = _children_by_parent(resources)

    def walk(parent: str | None, lasts: list[bool]) -> Iterator[tuple[Mapping[str, Any], list[bool]]]:
        siblings = children.get(parent, [])
        for index, resource in enumerate(siblings):
            path = lasts + [index == len(siblings) - 1]
            yield resource, path
            yield from walk(resource["urn"], path)

    return walk(None, [])


def tree_order(resources: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The resources as the table lists them: a parent first, then its children."""
    return [resource for resource, _ in _walk(resources)]


def _tree_rows(resources: Sequence[Mapping[str, Any]],
               glyphs: tuple[str, ...]) -> list[tuple[str, str]]:
    """(indented type, name) rows, children under their parents."""
    branch, last_branch, pipe = glyphs[:3]
    rows: list[tuple[str, str]] = []
    for resource, lasts in _walk(resources):
        prefix = "".join("   " if last else pipe for last in lasts[:-1])
        rows.append((prefix + (last_branch if lasts[-1] else branch) + short_type(resource["type"]),
                     resource["name"]))
    return rows


def resource_table(project: str, stack: str, resources: Sequence[Mapping[str, Any]],
                   style: Style) -> list[str]:
    rows = [(STACK_TYPE, f"{project}-{stack}")] + _tree_rows(resources, style.glyphs)
    type_width = max(len("Type"), *(len(type_) for type_, _ in rows))
    name_width = max(len("Name"), *(len(name) for _, name in rows))
    lines = [f"     {'Type':{type_width}}  {'Name':{name_width}}  Plan"]
    for type_, name in rows:
        lines.append(f" {style.paint('+', _CREATE)}   {type_:{type_width}}  {name:{name_width}}  "
                     f"{style.paint('create', _CREATE)}")
    return lines


# --- Policies: ---

def policies_section(pack: str, version: str, location: str,
                     violations: Sequence[Mapping[str, Any]], style: Style) -> list[str]:
    """The CLI's policy section: one line per pack, then each violation grouped under it."""
    passed, failed = style.glyphs[3:5]
    mandatory = any(v["enforcementLevel"] == "mandatory" for v in violations)
    lines = [style.headline("Policies:"),
             f"    {failed if mandatory else passed} {pack}@v{version} ({location})"]
    ordered = sorted(violations, key=lambda v: (v["enforcementLevel"], v["policy"], v["urn"]))
    for violation in ordered:
        level = violation["enforcementLevel"]
        code = _MANDATORY if level == "mandatory" else _ADVISORY
        type_, name = _urn_type_and_name(violation["urn"])
        lines.append(f"        - {style.paint(f'[{level}]', code)}  {violation['policy']}  "
                     f"({type_}: {name})")
        lines += [f"          {line}" for line in str(violation["message"]).splitlines()]
    return lines


def _urn_type_and_name(urn: str) -> tuple[str, str]:
    # urn:pulumi:stack::project::parent$type::name; a stack-level violation has no resource
    parts = urn.split("::")
    if len(parts) < 4:
        return STACK_TYPE, urn or "(stack)"
    return parts[2].rpartition("$")[2], "::".join(parts[3:])


# --- Outputs: ---

def _value_lines(value: Any, indent: str) -> list[str]:
    """A value as the CLI prints properties: strings quoted, lists as `[i]: value`, maps as
    `key: value` with the keys of one map aligned."""
    if isinstance(value, list):
        if not value:
            return ["[]"]
        width = len(f"[{len(value) - 1}]")
        body = [(f"[{index}]", item) for index, item in enumerate(value)]
        return ["["] + _entries(body, width, indent + "    ") + [indent + "]"]
    if isinstance(value, dict):
        if not value:
            return ["{}"]
        width = max(len(str(key)) for key in value)
        return ["{"] + _entries(list(value.items()), width, indent + "    ") + [indent + "}"]
    if value == "[secret]":
        return ["[secret]"]
    return [json.dumps(value, ensure_ascii=False)]


def _entries(entries: Iterable[tuple[Any, Any]], width: int, indent: str) -> list[str]:
    lines = []
    for key, item in entries:
        first, *rest = _value_lines(item, indent)
        lines.append(f"{indent}{str(key):{width}}: {first}")
        lines += rest
    return lines


def outputs_section(outputs: Mapping[str, Any], style: Style) -> list[str]:
    """`outputs` with secrets already masked as "[secret]"."""
    if not outputs:
        return []
    width = max(len(key) for key in outputs)
    return [style.headline("Outputs:")] + _entries(sorted(outputs.items()), width, "    ")


# --- Resources: ---

def resources_summary(resources: Sequence[Mapping[str, Any]], style: Style) -> list[str]:
    """`+ N to create` (the stack counts, as in the CLI), then the count of each type."""
    counts = Counter(short_type(resource["type"]) for resource in resources)
    counts[STACK_TYPE] += 1
    total = sum(counts.values())
    by_count = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    # "\0" holds each count to its type while wrapping; it becomes a space afterwards.
    per_type = [line.replace("\0", " ") for line in textwrap.wrap(
        ", ".join(f"{count}\0{type_}" for type_, count in by_count), width=SUMMARY_WIDTH,
        initial_indent=" " * 6, subsequent_indent=" " * 6, break_on_hyphens=False)]
    return [style.headline("Resources:"),
            "    " + style.paint(f"+ {total} to create", _CREATE)] + per_type


# --- the progress line ---

class Progress:
    """`Previewing update (STACK)...` with the seconds elapsed, redrawn on one stderr line
    while the program runs, and erased before the results print; nothing off a terminal,
    where a redrawn line would only clutter logs."""

    def __init__(self, label: str, stream: TextIO | None = None, interval: float = 0.25):
        self.label = label
        self.stream = stream or sys.stderr
        self.interval = interval
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _draw(self, started: float) -> None:
        while True:
            self.stream.write(f"\r{self.label}... {time.monotonic() - started:.0f}s")
            self.stream.flush()
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> "Progress":
        if self.live:
            self._thread = threading.Thread(target=self._draw, args=(time.monotonic(),),
                                            name="ops-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.stream.write("\r\x1b[2K")  # erase the line
            self.stream.flush()
