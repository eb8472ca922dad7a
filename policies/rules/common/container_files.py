"""Containers defined in files the user data writes: Compose files, podman quadlet units, Dockerfiles.

Compose services and quadlet `[Container]` units start containers just as `docker run`
does, so they are read to the same `ContainerRun` (no `user` is the image's user, taken
as root). A Dockerfile's last `USER` tells which user an image built here runs as, so a
`docker run` of that image needs no `--user`. Files are found in cloud-config
`write_files` and in heredocs (`cat > f <<EOF`) of scripts.
"""

from __future__ import annotations

import re
import shlex
from typing import Iterable, Iterator

import yaml

from .containers import ContainerRun, container_runs, is_root_user
from .userdata import LimitExceeded, check_yaml_shape

_HEREDOC_START = re.compile(r"<<-?\s*['\"]?(?P<tag>\w+)['\"]?[^\n]*\n")
_QUADLET_SECTION = re.compile(r"^\[(?P<name>[A-Za-z]+)\]\s*$")
_DOCKERFILE_USER = re.compile(r"^\s*USER\s+(?P<user>\S+)", re.IGNORECASE | re.MULTILINE)
_DOCKERFILE_FROM = re.compile(r"^\s*FROM\s+\S+", re.IGNORECASE | re.MULTILINE)
_BUILD_TAG = re.compile(r"\b(?:docker|podman|buildah)\s+(?:image\s+)?(?:build|bud)\b[^\n]*?\s(?:-t|--tag)[ =](?P<tag>[^\s;&|]+)")


def embedded_files(scripts: Iterable[str]) -> Iterator[str]:
    """The texts scripts write with heredocs."""
    for script in scripts:
        for match in _HEREDOC_START.finditer(script):
            body = []
            for line in script[match.end():].splitlines():
                if line.strip() == match.group("tag"):
                    break
                body.append(line)
            yield "\n".join(body)


def compose_runs(document: str) -> list[ContainerRun]:
    if "services:" not in document:
        return []
    try:
        check_yaml_shape(document)
        compose = yaml.safe_load(document)
    except (yaml.YAMLError, LimitExceeded):
        return []
    services = compose.get("services") if isinstance(compose, dict) else None
    runs = []
    for name, service in (services.items() if isinstance(services, dict) else ()):
        if isinstance(service, dict) and ("image" in service or "build" in service):
            user = service.get("user")
            runs.append(ContainerRun(f"compose service {name!r}", None if user is None else str(user),
                                     service.get("privileged") is True, _text(service.get("image"))))
    return runs


def quadlet_runs(document: str) -> list[ContainerRun]:
    if "[Container]" not in document:
        return []
    section, image, user, privileged, found = "", None, None, False, False
    for line in document.splitlines():
        header = _QUADLET_SECTION.match(line)
        if header:
            section = header.group("name")
            found = found or section == "Container"
            continue
        key, _, value = line.partition("=")
        if section != "Container" or not _:
            continue
        key, value = key.strip(), value.strip()
        if key == "Image":
            image = value
        elif key == "User":
            user = value
        elif key == "PodmanArgs" and "--privileged" in value:
            privileged = True
    return [ContainerRun("quadlet [Container]", user, privileged, image)] if found else []


def non_root_built_images(documents: Iterable[str], scripts: Iterable[str]) -> frozenset[str]:
    """Tags built here (`docker build -t X`) when every Dockerfile here ends with a non-root USER."""
    dockerfiles = [text for text in documents if _DOCKERFILE_FROM.search(text)]
    if not dockerfiles or any(_last_user_is_root(text) for text in dockerfiles):
        return frozenset()
    return frozenset(match.group("tag") for script in scripts for match in _BUILD_TAG.finditer(script))


def _last_user_is_root(dockerfile: str) -> bool:
    users = _DOCKERFILE_USER.findall(dockerfile)
    if not users:
        return True
    try:
        last = shlex.split(users[-1])[0]
    except (ValueError, IndexError):
        return True
    return "$" in last or is_root_user(last)


def file_runs(documents: Iterable[str]) -> list[ContainerRun]:
    return [run for document in documents for run in (*compose_runs(document), *quadlet_runs(document))]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


__all__ = ["container_runs", "embedded_files", "file_runs", "non_root_built_images"]
