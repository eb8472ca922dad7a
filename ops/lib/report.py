"""Files the commands write: text and JSON reports and stack files, never a partial file.

A regular file (or a path that does not exist yet) is written to a temporary file beside
it and renamed over it. The path keeps being what it was:
- a symbolic link stays a link; the file it points to (resolved through every link) is
  the one replaced;
- a FIFO or a character device (`/dev/stdout`, `<(...)`, a named pipe) is streamed to,
  as `cmd > FILE` would; a FIFO that no process reads is refused rather than waited on;
- anything else that is not a regular file (a directory, a socket, a block device) is
  refused.
Refusals and write errors are an OpsError (one line, exit 2). SIGINT or SIGTERM while
the temporary file exists removes it (exit 130 or 143); a temporary file left by kill -9
is removed by `remove_stale_temporaries` under the writer's lock.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from ops.lib.errors import OpsError

TEMPORARY_PREFIX = "."
TEMPORARY_SUFFIX = ".tmp"
# tempfile.mkstemp's names: prefix, 8 characters of [a-z0-9_], suffix.
_TEMPORARY_NAME = r"\.{name}\.[a-z0-9_]{{8}}\.tmp"


def _temporary_pattern(path: Path) -> re.Pattern[str]:
    return re.compile(_TEMPORARY_NAME.format(name=re.escape(path.name)))


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def _is_stream(mode: int) -> bool:
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def _existing_mode(path: Path) -> int | None:
    """The mode of what `path` names, through links; None when nothing is there (yet)."""
    try:
        return os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        raise OpsError(f"cannot write {path}: {error.strerror or error}") from None


def resolved_target(path: Path) -> Path:
    """The file a write to `path` replaces: `path` itself, or what its links point to."""
    return Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)


def _stream(path: Path, mode: int, data: bytes) -> None:
    """Write into a FIFO or character device in place: it has no file to replace."""
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    try:
        if stat.S_ISFIFO(mode):
            # Without a reader, a blocking open would wait forever: ask without waiting.
            descriptor = os.open(path, flags | os.O_NONBLOCK)
            os.set_blocking(descriptor, True)
        else:
            descriptor = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise OpsError(f"cannot write {path}: it is a FIFO that no process reads; start "
                           "the reader first or give a regular file") from None
        raise OpsError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
    except OSError as error:
        raise OpsError(f"cannot write {path}: {error.strerror or error}") from None


@contextmanager
def _signals_end_the_write() -> Iterator[None]:
    """SIGTERM raises SystemExit(143) while the temporary file exists (SIGINT raises
    KeyboardInterrupt already), so that the file is removed on the way out. Only in the
    main thread, and only where SIGTERM has its default action."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)

    def terminated(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    if previous == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        if previous == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)


_ENDING_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def write_bytes_atomically(path: Path, data: bytes,
                           before_replace: Callable[[], None] | None = None) -> None:
    """Write `data` to `path` as the module docstring says: readers never see half a file.

    A file being replaced keeps its permission bits. `before_replace` runs after the
    temporary file is complete and right before the rename; whatever it raises cancels
    the write (the temporary file is removed, `path` is untouched).
    """
    path = Path(path)
    mode = _existing_mode(path)
    if mode is not None and not stat.S_ISREG(mode):
        if _is_stream(mode):
            if before_replace is not None:
                before_replace()
            _stream(path, mode, data)
            return
        raise OpsError(f"cannot write {path}: it is {_kind(mode)}; give a regular file")
    target = resolved_target(path)
    with _signals_end_the_write():
        # No signal between creating the temporary file and knowing its name.
        signal.pthread_sigmask(signal.SIG_BLOCK, _ENDING_SIGNALS)
        temporary = None
        try:
            try:
                descriptor, temporary = tempfile.mkstemp(
                    dir=target.parent, prefix=f"{TEMPORARY_PREFIX}{target.name}.",
                    suffix=TEMPORARY_SUFFIX)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _ENDING_SIGNALS)
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            if mode is not None:
                shutil.copymode(target, temporary)
            if before_replace is not None:
                before_replace()
            os.replace(temporary, target)
            temporary = None
        except OSError as error:
            raise OpsError(f"cannot write {path}: {error.strerror or error}") from None
        finally:
            if temporary is not None:
                _remove_quietly(Path(temporary))


def write_text_atomically(path: Path, text: str,
                          before_replace: Callable[[], None] | None = None) -> None:
    """`text` as UTF-8, byte for byte (no newline translation)."""
    write_bytes_atomically(path, text.encode("utf-8"), before_replace)


def write_json_atomically(path: Path, document: Any) -> None:
    write_text_atomically(path, json.dumps(document, indent=2) + "\n")


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files an interrupted write of `path` left (kill -9, power
    loss), beside `path` and beside the file its links point to. Call it only while
    holding `write_lock(path)`: then no write of ours is under way."""
    removed = []
    for directory, name in {(Path(path).parent, Path(path).name),
                            (resolved_target(path).parent, resolved_target(path).name)}:
        pattern = _temporary_pattern(Path(name))
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                _remove_quietly(Path(entry.path))
                removed.append(Path(entry.path))
    return removed


def lock_path(path: Path) -> Path:
    return Path(path).parent / f".{Path(path).name}.lock"


@contextmanager
def write_lock(path: Path, waiting: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """An exclusive lock (flock) on the sidecar `.<name>.lock` beside `path`, held for
    the block; `waiting(lock_file)` is called when another process holds it first. The
    lock file stays: removing it would let two writers lock two different files."""
    lock_file = lock_path(path)
    try:
        descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0),
                             0o644)
    except OSError as error:
        raise OpsError(f"cannot lock {path.name}: cannot open {lock_file}: "
                       f"{error.strerror or error}; make {lock_file.parent} writable") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting(lock_file)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield lock_file
    finally:
        os.close(descriptor)  # releases the lock


def require_writable(path: Path, option: str) -> None:
    """Refuse, before any work, a report path that could not be written afterwards."""
    path = Path(path)
    mode = _existing_mode(path)
    if mode is not None and stat.S_ISDIR(mode):
        raise OpsError(f"{option} {path} is a directory; give a file name")
    if mode is not None and not stat.S_ISREG(mode):
        if not _is_stream(mode):
            raise OpsError(f"{option} {path} is {_kind(mode)}; give a regular file")
        if not os.access(path, os.W_OK):
            raise OpsError(f"{option} {path} is not writable; give a file you can write")
        return
    parent = resolved_target(path).parent
    if not parent.is_dir():
        raise OpsError(f"{option} {path}: directory {parent} does not exist; create it or "
                       "write elsewhere")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OpsError(f"{option} {path}: directory {parent} is not writable; write elsewhere")


__all__ = ["write_bytes_atomically", "write_text_atomically", "write_json_atomically",
           "require_writable", "remove_stale_temporaries", "write_lock", "lock_path",
           "resolved_target"]
