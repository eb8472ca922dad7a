"""Decode EC2 user data into the texts a rule can read.

User data may be plain text, base64, gzip inside base64, MIME multi-part, a
`#cloud-config` document or a shell script. A cloud-config document is unpacked into
the scripts it runs (`bootcmd`, `runcmd`) and the files it writes (`write_files`,
which carry systemd units and scripts, possibly base64 or gzip encoded).

User data comes from whoever writes the stack, so decoding is bounded: input and
decoded size, gzip output (read in steps, never inflated whole), YAML aliases and
nesting (counted on the event stream before anything is built). Past a limit the
result says why it cannot be inspected, and the rules report that as a violation:
unreadable user data never passes.
"""

from __future__ import annotations

import base64
import binascii
import email
import functools
import re
import shlex
import zlib
from dataclasses import dataclass
from typing import Any, Iterator

import yaml

from .values import text

try:  # the C loader is several times faster on large exports
    _YamlLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _YamlLoader = yaml.SafeLoader  # type: ignore[misc]

USER_DATA_FIELDS = ("userData", "userDataBase64")
EC2_TYPES_WITH_USER_DATA = frozenset({
    "aws:ec2/instance:Instance",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/launchConfiguration:LaunchConfiguration",
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
})

# EC2 takes at most 16 KB of user data; these are far above it and far below a bomb.
MAX_INPUT_CHARS = 128 * 1024
MAX_DECODED_BYTES = 128 * 1024
MAX_YAML_ALIASES = 16
MAX_YAML_DEPTH = 64


class LimitExceeded(Exception):
    """User data past one of the limits above; the message says which."""


_BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/=\s]+$")
_GZIP_MAGIC = b"\x1f\x8b"
_CLOUD_CONFIG_HEADER = re.compile(r"^(?:##\s*template:.*\n)?#cloud-config\b")
_MIME_HEADER = re.compile(r"^(?:Content-Type:\s*multipart/|MIME-Version:)", re.IGNORECASE)


@dataclass(frozen=True)
class DecodedUserData:
    scripts: tuple[str, ...]
    """Texts whose lines run as commands: scripts, cloud-init commands, written files."""
    documents: tuple[str, ...]
    """Every decoded text, for scanning content (the scripts plus whole documents)."""
    problem: str | None = None
    """Why the user data cannot be inspected (a limit), or None; then scripts and documents are empty."""


def user_data_values(props: dict) -> Iterator[Any]:
    for field_name in USER_DATA_FIELDS:
        value = props.get(field_name)
        if value is not None:
            yield value


def decode_user_data(value: Any) -> DecodedUserData | None:
    """The readable content of a user-data input; None when it is secret or unknown."""
    raw = text(value)
    if raw is None:
        return None
    return _decode_cached(raw)


def inspection_problem(decoded: DecodedUserData | None) -> str | None:
    return f"user data cannot be inspected: {decoded.problem}" if decoded and decoded.problem else None


@functools.lru_cache(maxsize=64)
def _decode_cached(raw: str) -> DecodedUserData:
    try:
        if len(raw) > MAX_INPUT_CHARS:
            raise LimitExceeded(f"it is {len(raw)} characters, over the {MAX_INPUT_CHARS} this pack reads")
        return _decode(raw)
    except LimitExceeded as limit:
        return DecodedUserData((), (), problem=str(limit))
    except RecursionError:
        return DecodedUserData((), (), problem="it nests too deeply to decode")


class _Budget:
    """Bytes left to inflate for one user-data value, shared by all its gzip members and files."""

    def __init__(self) -> None:
        self.left = MAX_DECODED_BYTES


def _decode(raw: str) -> DecodedUserData:
    scripts: list[str] = []
    documents: list[str] = []
    budget = _Budget()
    for part in _parts(_unwrap_encodings(raw, budget), budget):
        documents.append(part)
        part_scripts = _cloud_config_scripts(part, budget) if _CLOUD_CONFIG_HEADER.match(part) else None
        if part_scripts is None:
            scripts.append(part)
        else:
            scripts.extend(part_scripts)
            documents.extend(part_scripts)
    total = sum(len(document) for document in documents)
    if total > MAX_DECODED_BYTES:
        raise LimitExceeded(f"it decodes to {total} characters, over the {MAX_DECODED_BYTES} this pack reads")
    return DecodedUserData(tuple(scripts), tuple(documents))


def _unwrap_encodings(raw: str, budget: _Budget) -> str:
    """Plain text from plain, base64 or gzip+base64 input."""
    if not _BASE64_TEXT.match(raw):
        return raw
    try:
        data = base64.b64decode("".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        return raw
    decoded = _bytes_to_text(data, budget)
    return raw if decoded is None else decoded


def _bytes_to_text(data: bytes, budget: _Budget) -> str | None:
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data, budget)
        if data is None:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _gunzip(data: bytes, budget: _Budget) -> bytes | None:
    """Inflate every gzip member, stopping as soon as the output passes what the budget has left."""
    output = bytearray()
    try:
        while data:
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            output += inflater.decompress(data, budget.left + 1 - len(output))
            if len(output) > budget.left or inflater.unconsumed_tail:
                raise LimitExceeded(f"its gzip data inflates past {MAX_DECODED_BYTES} bytes")
            if not inflater.eof:
                return None  # truncated
            data = inflater.unused_data
    except zlib.error:
        return None
    budget.left -= len(output)
    return bytes(output)


def _parts(document: str, budget: _Budget) -> list[str]:
    """The parts of a MIME multi-part document, or the document itself."""
    if not _MIME_HEADER.match(document):
        return [document]
    message = email.message_from_string(document)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        decoded = _bytes_to_text(payload, budget) if isinstance(payload, bytes) else None
        if decoded is not None:
            parts.append(decoded)
    return parts


def _cloud_config_scripts(document: str, budget: _Budget) -> list[str] | None:
    """Commands and written files of a cloud-config document; None if it is not YAML."""
    try:
        check_yaml_shape(document)
        config = yaml.load(document, Loader=_YamlLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(config, dict):
        return None
    scripts = [_command_text(entry) for key in ("bootcmd", "runcmd") for entry in _entries(config.get(key))]
    scripts.extend(_written_file_contents(config.get("write_files"), budget))
    return [script for script in scripts if script]


def check_yaml_shape(document: str) -> None:
    """Refuse alias expansion ("billion laughs") and deep nesting before any object is built."""
    aliases = depth = 0
    for event in yaml.parse(document, Loader=_YamlLoader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                raise LimitExceeded(f"its cloud-config uses more than {MAX_YAML_ALIASES} YAML aliases")
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise LimitExceeded(f"its cloud-config nests deeper than {MAX_YAML_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _entries(value: Any) -> list:
    return value if isinstance(value, list) else []


def _command_text(entry: Any) -> str:
    """A cloud-init command: a shell string, or an argv list run without a shell."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, list):
        return shlex.join(str(word) for word in entry)
    return ""


def _written_file_contents(files: Any, budget: _Budget) -> Iterator[str]:
    for entry in _entries(files):
        if not isinstance(entry, dict):
            continue
        content = entry.get("content")
        if isinstance(content, str):
            decoded = _decode_file_content(content, str(entry.get("encoding", "")).lower(), budget)
            if decoded is not None:
                yield decoded


def _decode_file_content(content: str, encoding: str, budget: _Budget) -> str | None:
    if encoding in ("", "text/plain"):
        return content
    if encoding in ("b64", "base64", "gz+b64", "gz+base64", "gzip+b64", "gzip+base64"):
        try:
            return _bytes_to_text(base64.b64decode(content), budget)
        except (binascii.Error, ValueError):
            return None
    return None
