"""Reading Pulumi project and stack files the way the Pulumi CLI hands them to a program."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from stack_config import NAMESPACE, UNCHECKED, offline_placeholder
from ops.lib.errors import OpsError
from ops.lib.paths import PROJECT_ROOT

GENERIC_SECRET_PLACEHOLDER = UNCHECKED
# Every placeholder ciphertext in the committed stack files carries this mark, so that
# `ops prepare-stack` can tell a template's stand-in from a value someone encrypted.
PLACEHOLDER_MARK = "Placeholder"


@dataclass(frozen=True)
class StackFile:
    project: str
    stack: str
    path: Path
    config: dict[str, str]        # full key ("project:key") -> value as the program sees it
    secret_keys: frozenset[str]   # full keys whose values were `secure:` in the file

    @property
    def account_id(self) -> str:
        accounts = json.loads(self.config.get("aws:allowedAccountIds", "[]"))
        return str(accounts[0]) if accounts else "123456789012"

    @property
    def region(self) -> str:
        return self.config.get("aws:region", "us-east-1")


def account_pinning_problem(stack_file: "StackFile") -> str | None:
    """Why the stack is not pinned to exactly one account, or None when it is.

    `aws:allowedAccountIds` makes the provider refuse any other account; every role in
    `aws:assumeRoles` must live in that account, or a copy-pasted role would deploy dev
    into prod's account.
    """
    name = stack_file.path.name
    try:
        accounts = json.loads(stack_file.config.get("aws:allowedAccountIds", "null"))
        roles = json.loads(stack_file.config.get("aws:assumeRoles", "null"))
    except json.JSONDecodeError:
        return f"{name}: aws:allowedAccountIds and aws:assumeRoles must be YAML lists"
    if not isinstance(accounts, list) or len(accounts) != 1:
        return (f"{name}: set aws:allowedAccountIds to exactly one account id, so this stack "
                "can never touch another account")
    if not re.fullmatch(r"\d{12}", str(accounts[0])):
        return (f"{name}: aws:allowedAccountIds holds {accounts[0]!r}, not a 12-digit AWS "
                "account id; quote it in YAML (\"012345678901\") so leading zeros survive")
    if not isinstance(roles, list) or not roles:
        return (f"{name}: set aws:assumeRoles (a list in pulumi-aws v7) to the deployment "
                "role of this stack's account; the v6 key aws:assumeRole is not accepted")
    for role in roles:
        arn = role.get("roleArn") if isinstance(role, dict) else None
        arn = arn if isinstance(arn, str) else ""
        if arn.split(":")[4:5] != [str(accounts[0])]:
            return (f"{name}: aws:assumeRoles roleArn {arn or '(missing)'} is not in account "
                    f"{accounts[0]} named by aws:allowedAccountIds")
    return None


# Stack and project files are a few KiB. Past these limits a file is refused (exit 2)
# before it is loaded: a YAML alias chain ("billion laughs") expands exponentially and
# deep nesting exhausts the parser's recursion.
MAX_FILE_BYTES = 512 * 1024
MAX_EXPANDED_VALUES = 100_000
MAX_DEPTH = 64


def read_bounded_text(path: Path) -> str:
    """The file's text, refused when it is larger than any stack file is."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise OpsError(f"{path} does not exist") from None
    except OSError as error:
        raise OpsError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise OpsError(f"{path.name} is larger than {MAX_FILE_BYTES // 1024} KiB, far more "
                       "than a stack file holds; is it the right file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise OpsError(f"{path.name} is not UTF-8 text (byte {error.start}); save it as "
                       "UTF-8") from None


def _yaml_problem(path: Path, error: BaseException) -> OpsError:
    first_line = str(error).strip().splitlines()[0]
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    problem = getattr(error, "problem", None) or first_line
    return OpsError(f"{where}: not valid YAML ({problem}); fix the file")


def require_bounded_yaml(text: str, path: Path) -> None:
    """Walk the YAML events (no recursion, nothing expanded) and refuse a document whose
    aliases would expand beyond MAX_EXPANDED_VALUES values or that nests beyond MAX_DEPTH."""
    anchored: dict[str, int] = {}        # anchor -> values it expands to
    open_collections: list[list] = []    # [anchor, values so far]
    total = 0
    try:
        for event in YAML(typ="safe").parse(text):
            kind = type(event).__name__
            if kind in ("MappingStartEvent", "SequenceStartEvent"):
                open_collections.append([event.anchor, 1])
                if len(open_collections) > MAX_DEPTH:
                    raise OpsError(f"{path.name} nests deeper than {MAX_DEPTH} levels; a "
                                   "stack file needs a handful")
                continue
            if kind in ("MappingEndEvent", "SequenceEndEvent"):
                anchor, size = open_collections.pop()
            elif kind == "ScalarEvent":
                anchor, size = event.anchor, 1
            elif kind == "AliasEvent":
                anchor, size = None, anchored.get(event.anchor, 1)
            else:
                continue
            if anchor:
                anchored[anchor] = size
            receiver = open_collections[-1] if open_collections else None
            if receiver is not None:
                receiver[1] += size
            else:
                total += size
            if (receiver[1] if receiver is not None else total) > MAX_EXPANDED_VALUES:
                raise OpsError(f"{path.name}: YAML aliases expand to more than "
                               f"{MAX_EXPANDED_VALUES:,} values; write the values out")
    except YAMLError as error:
        raise _yaml_problem(path, error) from None


# What a stack file can hold: the JSON types, as Pulumi passes config to a program.
PLAIN_YAML_TYPES = (str, int, float, bool, type(None), list, dict)


def require_plain_values(document: Any, path: Path) -> None:
    """Refuse a date, timestamp, `!!binary` or `!!set` (YAML types Pulumi config has no
    form for) with the key that holds it. Iterative: the depth is already bounded."""
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, (str, int, float, bool)):
                    raise OpsError(_not_plain(path, (f"{where}." if where else "") + str(key)[:60],
                                              key, "key"))
                pending.append((f"{where}.{key}" if where else str(key), item))
        elif isinstance(value, list):
            pending.extend((f"{where}[{index}]", item) for index, item in enumerate(value))
        elif not isinstance(value, PLAIN_YAML_TYPES):
            raise OpsError(_not_plain(path, where, value, "value"))


def _not_plain(path: Path, where: str, value: Any, role: str) -> str:
    kind = {"date": "date", "datetime": "timestamp", "bytes": "!!binary value",
            "set": "!!set"}.get(type(value).__name__, type(value).__name__)
    return (f"{path.name}: {where or 'the document'} holds a YAML {kind} as a {role}, which "
            "Pulumi config cannot carry; quote it to make it a string")


def _load_yaml(path: Path) -> Any:
    text = read_bounded_text(path)
    require_bounded_yaml(text, path)
    try:
        document = YAML(typ="safe").load(text)
        require_plain_values(document, path)
        return document
    except YAMLError as error:
        raise _yaml_problem(path, error) from None
    except ValueError:  # an integer longer than Python's int-string limit
        raise OpsError(f"{path.name} holds a number too long to read (over "
                       f"{sys.get_int_max_str_digits()} digits); quote it if it is "
                       "meant as text") from None


# Pulumi.yaml's name, by the file's identity and version: every stack file read needs it,
# and the file, with its config declarations, takes most of a read's time to parse.
_PROJECT_NAMES: dict[tuple, str] = {}


def project_name(root: Path = PROJECT_ROOT) -> str:
    path = root / "Pulumi.yaml"
    try:
        status = path.stat()
        version = (str(path.resolve()), status.st_ino, status.st_size, status.st_mtime_ns,
                   status.st_ctime_ns)
    except OSError:
        version = None  # _load_yaml names the problem
    if version in _PROJECT_NAMES:
        return _PROJECT_NAMES[version]
    document = _load_yaml(path)
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise OpsError(f"{path} has no project name; add `name: ...`")
    if version is not None:
        _PROJECT_NAMES[version] = document["name"]
    return document["name"]


# The Pulumi CLI's rule for a stack's own name (the part after org/project/): at most 100
# characters (the service's limit; a file name of more than 255 bytes cannot exist).
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def known_stacks(root: Path = PROJECT_ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def require_stack_name(stack: str, option: str = "--stack", root: Path = PROJECT_ROOT) -> None:
    """A stack name, not a path: `../dev` or `Pulumi.dev.yaml` would name another file."""
    file_name = stack.startswith("Pulumi.") and stack.endswith(".yaml")
    if len(stack) > 100 and re.fullmatch(r"[A-Za-z0-9_.-]+", stack):
        raise OpsError(f"{option}: a stack name has at most 100 characters, this one "
                       f"{len(stack)}; give a shorter name")
    if not STACK_NAME.fullmatch(stack) or stack in (".", "..") or file_name:
        hint = stack.rpartition("/")[2].removeprefix("Pulumi.").removesuffix(".yaml")
        raise OpsError(f"{option} {stack!r} is not a stack name (letters, digits, . _ -); "
                       f"give the name only, such as {hint or 'dev'!r}; stacks here: "
                       + (", ".join(known_stacks(root)) or "none"))


def stack_file_path(stack: str, root: Path = PROJECT_ROOT) -> Path:
    require_stack_name(stack, root=root)
    return root / f"Pulumi.{stack}.yaml"


def _placeholder_for(full_key: str) -> str:
    return offline_placeholder(full_key) or GENERIC_SECRET_PLACEHOLDER


def _as_config_string(value: Any) -> str:
    """Pulumi passes scalars as strings and structured values as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


def read_stack_file(stack: str, root: Path = PROJECT_ROOT) -> StackFile:
    """Config of one stack; `secure:` values, which only the CLI can decrypt, become
    placeholders that pass validation and stay marked secret."""
    path = stack_file_path(stack, root)
    if not path.exists():
        raise OpsError(f"no stack file {path.name} for stack {stack!r}; known stacks: "
                       + (", ".join(known_stacks(root)) or "none"))
    document = _load_yaml(path) or {}
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise OpsError(f"{path.name} must be a mapping with a `config:` mapping")
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    for full_key, value in (document.get("config") or {}).items():
        if ":" not in str(full_key):
            raise OpsError(f"{path.name}: config key {full_key!r} needs a namespace, "
                           f"such as {NAMESPACE}:{full_key}")
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full_key] = _placeholder_for(full_key)
            secret_keys.add(full_key)
        else:
            config[full_key] = _as_config_string(value)
    return StackFile(project_name(root), stack, path, config, frozenset(secret_keys))
