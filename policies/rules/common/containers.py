"""Find `docker run`-style commands in scripts and read the options that decide root.

Options are read the way the docker CLI (pflag) reads them: `-u 0`, `-u0`, `--user 0`,
`--user=0`, clustered short flags such as `-dit` or `-itu 0`. A `--user` given through a
shell variable is resolved from plain assignments in the same script when possible.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass

ENGINES = frozenset({"docker", "podman", "nerdctl"})
SUBCOMMANDS = frozenset({"run", "create"})

# Short flags of `docker run` / `podman run` that take a value; the others are booleans.
_SHORT_WITH_VALUE = frozenset("acehlmpuvw")
_LONG_BOOLEANS = frozenset({
    "rm", "detach", "interactive", "tty", "privileged", "init", "read-only", "publish-all",
    "no-healthcheck", "oom-kill-disable", "sig-proxy", "quiet", "help", "disable-content-trust",
    "use-api-socket", "replace", "rmi", "env-host", "http-proxy", "no-hosts", "read-only-tmpfs",
    "tls-verify", "passwd",
})
_GLOBAL_OPTIONS_WITH_VALUE = frozenset({"-H", "--host", "-c", "--context", "--config", "-l", "--log-level"})
_COMMAND_SEPARATORS = frozenset({";", "&&", "||", "|", "&", ";;"})
# Words that may stand before the engine in a command: wrappers and shell keywords.
_PREFIX_COMMANDS = frozenset({
    "sudo", "exec", "env", "nohup", "time", "nice", "ionice", "timeout", "command", "runuser", "setsid",
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "(",
})
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash"})
_COMMAND_SUBSTITUTION = re.compile(r"\$\([^()]*\)|`[^`]*`")
_MENTIONS_ENGINE = re.compile("|".join(sorted(ENGINES)))  # lines without one run no container: skip the lexer
_SYSTEMD_EXEC_PREFIX = re.compile(r"^\s*Exec[A-Za-z]*=[-@+!:]*")
_LINE_CONTINUATION = re.compile(r"\\\r?\n")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_ASSIGNMENT = re.compile(
    r"^\s*(?:export\s+|Environment=\"?)?([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|[^\s\"';]*)",
    re.MULTILINE,
)

DEFAULT_ROOT_IMAGE_TAG_PATTERN = r"(^|-)root$"
ROOT_IMAGE_SCHEMA = {
    "rootImageTagPattern": {
        "type": "string",
        "format": "regex",
        "default": DEFAULT_ROOT_IMAGE_TAG_PATTERN,
        "description": "Regular expression for image tags that run as root (e.g. Chainlink's old `-root` tags).",
    },
}


@dataclass(frozen=True)
class ContainerRun:
    command: str
    """How the container was started, e.g. "docker run"."""
    user: str | None
    """The last --user value with variables resolved; None when no user is named."""
    privileged: bool
    image: str | None


def container_runs(script: str) -> list[ContainerRun]:
    return _runs(script, _assignments(script))


def is_root_user(user: str | None) -> bool:
    """`root`, `0`, `root:<group>`, `0:<group>`; no user at all is the image's user, taken as root."""
    if user is None:
        return True
    name = user.split(":", 1)[0].strip()
    return name == "root" or name == "" or (name.isdigit() and int(name) == 0)


def is_unresolved(user: str | None) -> bool:
    return user is not None and "$" in user


def image_tag(image: str) -> str | None:
    """The tag of an image reference (`repo/name:tag[@digest]`), None when untagged."""
    last_segment = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last_segment.split(":", 1)[1] if ":" in last_segment else None


def has_root_tag(image: str | None, pattern: str) -> bool:
    tag = image_tag(image) if image else None
    return tag is not None and re.search(pattern, tag) is not None


def _runs(script: str, variables: dict[str, str]) -> list[ContainerRun]:
    runs = []
    for line in _LINE_CONTINUATION.sub(" ", script).splitlines():
        if not _MENTIONS_ENGINE.search(line):
            continue
        line = _SYSTEMD_EXEC_PREFIX.sub("", line)
        for substitution in _COMMAND_SUBSTITUTION.findall(line):
            runs.extend(_runs(substitution.strip("$()`"), variables))
        line = _COMMAND_SUBSTITUTION.sub("$(command)", line)
        for words in _commands(line):
            inline_script = _shell_c_argument(words)
            if inline_script is not None:
                runs.extend(_runs(inline_script, variables))
                continue
            run = _parse_run(words, variables)
            if run is not None:
                runs.append(run)
    return runs


def _shell_c_argument(words: list[str]) -> str | None:
    """The script of `sh -c '<script>'` (also bash, and after wrappers such as sudo)."""
    words = _without_prefix(words)
    if len(words) >= 3 and os.path.basename(words[0]) in _SHELLS and words[1] == "-c":
        return words[2]
    return None


def _without_prefix(words: list[str]) -> list[str]:
    """The command proper: leading assignments (`A=b cmd`) and wrappers (`sudo ...`) dropped.

    After a wrapper the command is the first word that names a known program, so that
    wrapper options (`sudo -u user`, `timeout 30`) need no table of their own.
    """
    position = 0
    while position < len(words) and _is_assignment(words[position]):
        position += 1
    if position < len(words) and os.path.basename(words[position]) in _PREFIX_COMMANDS:
        for later in range(position + 1, len(words)):
            if os.path.basename(words[later]) in ENGINES | _SHELLS:
                return words[later:]
        return []
    return words[position:]


def _is_assignment(word: str) -> bool:
    name, has_equals, _ = word.partition("=")
    return bool(has_equals) and name.isidentifier()


def _assignments(script: str) -> dict[str, str]:
    return {name: value.strip("\"'") for name, value in _ASSIGNMENT.findall(script)}


def _resolve(value: str, variables: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), value)


def _commands(line: str) -> list[list[str]]:
    """The simple commands of one shell line, split at ; && || | &."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return []
    try:
        lexer = shlex.shlex(stripped, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: fall back to plain words
        tokens = stripped.split()
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token in _COMMAND_SEPARATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    return [words for words in commands if words]


def _parse_run(words: list[str], variables: dict[str, str]) -> ContainerRun | None:
    start = _run_arguments_start(words)
    if start is None:
        return None
    engine, subcommand, arguments = start
    user, privileged, image = _read_run_options(arguments)
    if user is not None:
        user = _resolve(user, variables)
    if image is not None:
        image = _resolve(image, variables)
    return ContainerRun(f"{engine} {subcommand}", user, privileged, image)


def _run_arguments_start(words: list[str]) -> tuple[str, str, list[str]] | None:
    """`<engine> [global options] [container] run|create` at the start of the command."""
    words = _without_prefix(words)
    engine = os.path.basename(words[0]) if words else ""
    if engine not in ENGINES:
        return None
    position = _skip_global_options(words, 1)
    if position < len(words) and words[position] == "container":
        position += 1
    if position < len(words) and words[position] in SUBCOMMANDS:
        return engine, words[position], words[position + 1:]
    return None


def _skip_global_options(words: list[str], position: int) -> int:
    while position < len(words) and words[position].startswith("-"):
        position += 2 if words[position] in _GLOBAL_OPTIONS_WITH_VALUE else 1
    return position


def _read_run_options(arguments: list[str]) -> tuple[str | None, bool, str | None]:
    """(last --user value, --privileged, image) from the arguments after `run`."""
    user: str | None = None
    privileged = False
    position = 0
    while position < len(arguments):
        word = arguments[position]
        if word == "--":
            position += 1
            break
        if not word.startswith("-") or word == "-":
            break
        name, value, consumed = _option(arguments, position)
        position += consumed
        if name in ("u", "user"):
            user = value or ""
        elif name == "privileged":
            privileged = (value or "true").lower() != "false"
    image = arguments[position] if position < len(arguments) else None
    return user, privileged, image


def _option(arguments: list[str], position: int) -> tuple[str, str | None, int]:
    """(option name, value, words consumed) for the option at `position`."""
    word = arguments[position]
    following = arguments[position + 1] if position + 1 < len(arguments) else None
    if word.startswith("--"):
        name, has_value, value = word[2:].partition("=")
        if has_value:
            return name, value, 1
        if name in _LONG_BOOLEANS:
            return name, None, 1
        return name, following, 2
    for offset, letter in enumerate(word[1:], start=1):
        if letter in _SHORT_WITH_VALUE:
            attached = word[offset + 1:]
            if attached:
                return letter, attached.removeprefix("="), 1
            return letter, following, 2
    return word[-1], None, 1

