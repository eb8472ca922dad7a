"""Reading Pulumi project and stack files the way the Pulumi CLI hands them to a program."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from stack_config import NAMESPACE, offline_placeholder
from ops.errors import OpsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GENERIC_SECRET_PLACEHOLDER = "offline-preview-secret-value"


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


def _load_yaml(path: Path) -> Any:
    try:
        return YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OpsError(f"{path} does not exist") from None
    except (YAMLError, UnicodeDecodeError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise OpsError(f"{path} is not valid YAML ({first_line}); fix the file") from None


def project_name(root: Path = PROJECT_ROOT) -> str:
    document = _load_yaml(root / "Pulumi.yaml")
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise OpsError(f"{root / 'Pulumi.yaml'} has no project name; add `name: ...`")
    return document["name"]


def stack_file_path(stack: str, root: Path = PROJECT_ROOT) -> Path:
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
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise OpsError(f"no stack file {path.name} for stack {stack!r}; known stacks: "
                       + (", ".join(known) or "none"))
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
