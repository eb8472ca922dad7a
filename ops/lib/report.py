"""Output shared by the commands: the resource tree, and JSON reports without partial files."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable

from ops.lib.errors import OpsError


def write_text_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file.

    A file being replaced keeps its permission bits.
    """
    path = Path(path)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                                 suffix=".tmp")
    except OSError as error:
        raise OpsError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except OSError as error:
        os.unlink(temporary)
        raise OpsError(f"cannot write {path}: {error.strerror or error}") from None


def write_json_atomically(path: Path, document: Any) -> None:
    write_text_atomically(path, json.dumps(document, indent=2) + "\n")


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
