"""Decode EC2 user data into the texts a rule can read.

User data may be plain text, base64, gzip inside base64, MIME multi-part, a
`#cloud-config` document or a shell script. A cloud-config document is unpacked into
the scripts it runs (`bootcmd`, `runcmd`) and the files it writes (`write_files`,
which carry systemd units and scripts, possibly base64 or gzip encoded).
"""

from __future__ import annotations

import base64
import binascii
import email
import functools
import gzip
import re
import shlex
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


@functools.lru_cache(maxsize=64)
def _decode_cached(raw: str) -> DecodedUserData:
    scripts: list[str] = []
    documents: list[str] = []
    for part in _parts(_unwrap_encodings(raw)):
        documents.append(part)
        part_scripts = _cloud_config_scripts(part) if _CLOUD_CONFIG_HEADER.match(part) else None
        if part_scripts is None:
            scripts.append(part)
        else:
            scripts.extend(part_scripts)
            documents.extend(part_scripts)
    return DecodedUserData(tuple(scripts), tuple(documents))


def _unwrap_encodings(raw: str) -> str:
    """Plain text from plain, base64 or gzip+base64 input."""
    if not _BASE64_TEXT.match(raw):
        return raw
    try:
        data = base64.b64decode("".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        return raw
    decoded = _bytes_to_text(data)
    return raw if decoded is None else decoded


def _bytes_to_text(data: bytes) -> str | None:
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _parts(document: str) -> list[str]:
    """The parts of a MIME multi-part document, or the document itself."""
    if not _MIME_HEADER.match(document):
        return [document]
    message = email.message_from_string(document)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        decoded = _bytes_to_text(payload) if isinstance(payload, bytes) else None
        if decoded is not None:
            parts.append(decoded)
    return parts


def _cloud_config_scripts(document: str) -> list[str] | None:
    """Commands and written files of a cloud-config document; None if it is not YAML."""
    try:
        config = yaml.load(document, Loader=_YamlLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(config, dict):
        return None
    scripts = [_command_text(entry) for key in ("bootcmd", "runcmd") for entry in _entries(config.get(key))]
    scripts.extend(_written_file_contents(config.get("write_files")))
    return [script for script in scripts if script]


def _entries(value: Any) -> list:
    return value if isinstance(value, list) else []


def _command_text(entry: Any) -> str:
    """A cloud-init command: a shell string, or an argv list run without a shell."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, list):
        return shlex.join(str(word) for word in entry)
    return ""


def _written_file_contents(files: Any) -> Iterator[str]:
    for entry in _entries(files):
        if not isinstance(entry, dict):
            continue
        content = entry.get("content")
        if isinstance(content, str):
            decoded = _decode_file_content(content, str(entry.get("encoding", "")).lower())
            if decoded is not None:
                yield decoded


def _decode_file_content(content: str, encoding: str) -> str | None:
    if encoding in ("", "text/plain"):
        return content
    if encoding in ("b64", "base64", "gz+b64", "gz+base64", "gzip+b64", "gzip+base64"):
        try:
            return _bytes_to_text(base64.b64decode(content))
        except (binascii.Error, ValueError):
            return None
    return None
