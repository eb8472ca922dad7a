"""Printing what a preview or audit found, and writing JSON reports without partial files."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, TextIO

from ops.errors import OpsError

MANDATORY = "mandatory"


def write_text_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    path = Path(path)
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OpsError(f"cannot write {path}: {error.strerror}; choose a writable file "
                           "in a directory that exists") from None
        raise


def write_json_atomically(path: Path, document: Any) -> None:
    write_text_atomically(path, json.dumps(document, indent=2, sort_keys=False) + "\n")


def resource_tree_lines(resources: Iterable[dict[str, Any]]) -> list[str]:
    """`type  name` lines, children indented under their component parents."""
    resources = list(resources)
    known_urns = {resource["urn"] for resource in resources}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for resource in resources:
        parent = resource.get("parent")
        children.setdefault(parent if parent in known_urns else None, []).append(resource)

    lines: list[str] = []

    def walk(parent: str | None, prefix: str) -> None:
        siblings = sorted(children.get(parent, []), key=lambda r: (r["type"], r["name"]))
        for index, resource in enumerate(siblings):
            last = index == len(siblings) - 1
            lines.append(f"{prefix}{'└─ ' if last else '├─ '}{resource['type']}  {resource['name']}")
            walk(resource["urn"], prefix + ("   " if last else "│  "))

    walk(None, "")
    return lines


def violation_lines(violations: list[dict[str, Any]]) -> list[str]:
    ordered = sorted(violations, key=lambda v: (v["enforcementLevel"] != MANDATORY,
                                                v["category"], v["policy"], v["urn"]))
    return [f"  [{v['enforcementLevel']}] {v['policy']} ({v['category']})\n"
            f"      {v['urn']}\n      {v['message']}" for v in ordered]


def summary_line(violations: list[dict[str, Any]]) -> str:
    mandatory = sum(1 for v in violations if v["enforcementLevel"] == MANDATORY)
    return (f"Policy report: {mandatory} mandatory, {len(violations) - mandatory} advisory "
            f"violation(s)" + ("  -> BLOCKED" if mandatory else "  -> passes"))


def print_policy_report(violations: list[dict[str, Any]], stream: TextIO) -> None:
    for line in violation_lines(violations):
        print(line, file=stream)
    print(summary_line(violations), file=stream)


def has_mandatory(violations: list[dict[str, Any]]) -> bool:
    return any(v["enforcementLevel"] == MANDATORY for v in violations)
