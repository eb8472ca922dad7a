"""`python -m ops prepare-stack --stack STACK --account-id ID [--repository ORG/REPO]`:
make the committed stack files ready for `pulumi stack init`, without hand edits.

The checked-in Pulumi.<STACK>.yaml and bootstrap/Pulumi.<STACK>.yaml are templates: their
account id is a documented placeholder, and the node stack's `encryptedkey:` and `secure:`
values are placeholders no KMS key can decrypt (they keep the offline preview complete).
This command puts your account id in both files (the allowed account, the deployment
role's ARN, every ARN of that account), sets the repository whose workflows may deploy,
removes the placeholder key and secrets, and prints the commands that set the real ones.
Comments and layout stay; only those lines change. Exit 0 when prepared or nothing is left
to prepare, 2 on bad arguments or a file it cannot read.
"""

from __future__ import annotations

import argparse
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ops.lib.errors import EXIT_OK, OpsError
from ops.lib.report import write_text_atomically
from ops.lib.stackfile import (PLACEHOLDER_MARK, PROJECT_ROOT, read_bounded_text,
                               read_stack_file, require_stack_name)

BOOTSTRAP_DIR_NAME = "bootstrap"
_ACCOUNT = re.compile(r"\d{12}")
_REPOSITORY = re.compile(r"[\w.-]+(@\d+)?/[\w.-]+(@\d+)?")
_SECURE_PAIR = re.compile(rf"^(?P<indent> +)(?P<key>[\w:.-]+):\n(?P=indent)  secure: "
                          rf"\S*{PLACEHOLDER_MARK}\S*\n", re.M)
_ENCRYPTED_KEY = re.compile(rf"^encryptedkey: \S*{PLACEHOLDER_MARK}\S*\n", re.M)
_REPOSITORY_LINE = re.compile(r"^(?P<head>  [\w-]+:githubRepository: ).*$", re.M)


@dataclass
class Prepared:
    path: Path
    original: str
    text: str
    removed_secrets: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.text != self.original


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prepare-stack", help="make a committed stack file ready for `pulumi stack init`",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True, help="stack name (dev, prod, ...)")
    parser.add_argument("--account-id", required=True, metavar="ID",
                        help="the AWS account this stack deploys to")
    parser.add_argument("--repository", metavar="ORG/REPO",
                        help="GitHub repository whose workflows may assume the bootstrap's "
                             "roles (bootstrap githubRepository)")
    parser.add_argument("--dry-run", action="store_true", help="show the change, write nothing")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, metavar="DIR",
                        help="directory holding Pulumi.yaml (default: this project)")
    parser.set_defaults(func=run)


def _with_account(text: str, old: str, new: str) -> str:
    return re.sub(rf"(?<!\d){old}(?!\d)", new, text)


def placeholder_paths(config: dict) -> list[str]:
    """Config paths (`key`, or `key[0].field` as `pulumi config set --path` takes them) of
    the placeholder `secure:` values, in file order."""
    found: list[str] = []

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            if set(value) == {"secure"} and PLACEHOLDER_MARK in str(value["secure"]):
                found.append(path)
                return
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    for key, value in config.items():
        walk(value, str(key))
    return found


def _checked(prepared: Prepared, expected_keys: set[str]) -> None:
    """The edit must leave valid YAML with exactly the config keys intended."""
    try:
        document = YAML(typ="safe").load(prepared.text) or {}
    except YAMLError as error:
        raise OpsError(f"{prepared.path.name} would not be valid YAML after preparing it "
                       f"({str(error).splitlines()[0]}); prepare it by hand") from None
    left = placeholder_paths(document.get("config") or {})
    if set((document.get("config") or {})) != expected_keys or left \
            or PLACEHOLDER_MARK in str(document.get("encryptedkey", "")):
        raise OpsError(f"{prepared.path.name} is laid out differently from the template"
                       + (f" ({', '.join(left)})" if left else "") + "; prepare it by hand")


def prepare_node_stack(path: Path, old_account: str, account: str,
                       config_keys: set[str]) -> Prepared:
    original = read_bounded_text(path)
    removed = placeholder_paths(YAML(typ="safe").load(original).get("config") or {})
    text = _with_account(original, old_account, account)
    text = _ENCRYPTED_KEY.sub("", text)
    text = _SECURE_PAIR.sub("", text)
    prepared = Prepared(path, original, text, removed)
    # A key whose whole value was a placeholder goes; a structured key keeps the rest.
    _checked(prepared, config_keys - set(removed))
    return prepared


def prepare_bootstrap_stack(path: Path, old_account: str, account: str,
                            repository: str | None) -> Prepared | None:
    if not path.exists():
        return None
    original = read_bounded_text(path)
    text = _with_account(original, old_account, account)
    if repository:
        text = _REPOSITORY_LINE.sub(lambda match: match["head"] + repository, text)
    return Prepared(path, original, text)


def _secrets_provider(path: Path) -> str:
    document = YAML(typ="safe").load(read_bounded_text(path)) or {}
    return str(document.get("secretsprovider") or "")


def prepare(stack: str, account: str, project_dir: Path, repository: str | None = None,
            dry_run: bool = False) -> int:
    require_stack_name(stack, "--stack", project_dir)
    if not _ACCOUNT.fullmatch(account):
        raise OpsError(f"--account-id {account!r} is not a 12-digit AWS account id")
    if repository is not None and not _REPOSITORY.fullmatch(repository):
        raise OpsError(f"--repository {repository!r} is not ORG/REPO (or ORG@ID/REPO@ID)")
    stack_file = read_stack_file(stack, project_dir)
    old_account = stack_file.account_id
    files = [prepare_node_stack(stack_file.path, old_account, account,
                                set(stack_file.config))]
    bootstrap = prepare_bootstrap_stack(
        project_dir / BOOTSTRAP_DIR_NAME / f"Pulumi.{stack}.yaml", old_account, account,
        repository)
    if bootstrap is not None:
        files.append(bootstrap)

    changed = [prepared for prepared in files if prepared.changed]
    for prepared in changed:
        name = prepared.path.relative_to(project_dir)
        print("\n".join(difflib.unified_diff(
            prepared.original.splitlines(), prepared.text.splitlines(),
            fromfile=f"a/{name}", tofile=f"b/{name}", lineterm="")))
    if not changed:
        print(f"nothing to prepare: Pulumi.{stack}.yaml already names account {account} "
              "and holds no placeholder secrets")
    elif dry_run:
        print("dry run: nothing written")
        return EXIT_OK
    for prepared in changed:
        write_text_atomically(prepared.path, prepared.text)
        print(f"updated {prepared.path.relative_to(project_dir)}")
    _print_next_steps(stack, files[0], _secrets_provider(stack_file.path))
    return EXIT_OK


def _print_next_steps(stack: str, node: Prepared, secrets_provider: str) -> None:
    print("\nnext, with this account's credentials and the bootstrap's backend "
          "(pulumi login \"$(pulumi -C bootstrap stack output backendUrl)\"):")
    provider = f" --secrets-provider '{secrets_provider}'" if secrets_provider else ""
    print(f"  pulumi stack init {stack}{provider}")
    for path in node.removed_secrets:
        nested = "." in path.partition(":")[2] or "[" in path
        print(f"  pulumi config set --secret --path '{path}'" if nested
              else f"  pulumi config set --secret {path}")


def run(args: argparse.Namespace) -> int:
    return prepare(args.stack, args.account_id, args.project_dir, args.repository,
                   args.dry_run)
