"""Files the commands write: text and JSON reports, never a partial file."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

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


def require_writable(path: Path, option: str) -> None:
    """Refuse, before any work, a report path that could not be written afterwards."""
    path = Path(path)
    parent = path.parent
    if path.is_dir():
        raise OpsError(f"{option} {path} is a directory; give a file name")
    if not parent.is_dir():
        raise OpsError(f"{option} {path}: directory {parent} does not exist; create it or "
                       "write elsewhere")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OpsError(f"{option} {path}: directory {parent} is not writable")
