"""`python -m ops promote --from dev --to prod`: carry version pins from one stack to the next.

Copies the promotable settings (chainlinkVersion) from the source stack file into the
target stack file in place: comments, key order, quoting and `secure:` values stay as
they are; only the promoted lines change. Prints the change as a diff.

Refuses (exit 1, nothing written) a downgrade, a version that is not a pin, a source node
that `ops health` does not find ready (`--health-url`: not ready, starting/migrating or a
check failing), and a switch between a release and an image digest unless
`--allow-digest` is given: a digest cannot be ordered against anything, so going from one
digest to a different one is allowed and said so. Exit 0 when promoted or nothing to
promote; 2 on bad arguments (a --health-url that cannot be a node's), a missing stack
file, invalid YAML, or a health URL that does not answer as a node (as `ops health`).
"""

from __future__ import annotations

import argparse
import difflib
import io
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from stack_config import namespaced
from ops.lib import node_health
from ops.lib.errors import EXIT_FAILED, EXIT_OK, OpsError
from ops.lib.report import write_text_atomically
from ops.lib.stackfile import (PROJECT_ROOT, StackFile, read_bounded_text, read_stack_file,
                                require_stack_name)
from ops.lib.versions import VersionPin

PROMOTABLE_KEYS = (namespaced("chainlinkVersion"),)
DEFAULT_HEALTH_TIMEOUT = 10.0


@dataclass(frozen=True)
class Change:
    key: str
    old: str | None   # None: the target does not set the key yet
    new: str
    note: str = ""

    def summary(self) -> str:
        was = self.old if self.old is not None else "(not set)"
        return f"{self.key}: {was} -> {self.new}" + (f"  ({self.note})" if self.note else "")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "promote", help="copy version pins from one stack file to another",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", required=True, metavar="STACK",
                        help="stack that has run the version (reads Pulumi.<STACK>.yaml)")
    parser.add_argument("--to", dest="target", required=True, metavar="STACK",
                        help="stack to promote to (edits Pulumi.<STACK>.yaml in place)")
    parser.add_argument("--dry-run", action="store_true",
                        help="show what would change and write nothing")
    parser.add_argument("--allow-digest", action="store_true",
                        help="allow switching between a release and an image digest, "
                             "which cannot be ordered")
    parser.add_argument("--health-url", metavar="URL",
                        help="first require `ops health` to pass on the source stack's node")
    parser.add_argument("--health-timeout", type=float, default=DEFAULT_HEALTH_TIMEOUT,
                        metavar="SECONDS", help="timeout of each health request (default 10)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, metavar="DIR",
                        help="directory holding Pulumi.yaml and the stack files "
                             "(default: this project)")
    parser.set_defaults(func=run)


# --- deciding what changes ---

def _pin(stack_file: StackFile, key: str) -> VersionPin:
    try:
        return VersionPin.parse(stack_file.config[key])
    except ValueError as error:
        raise OpsError(f"{stack_file.path.name}: {key}: {error}; nothing promoted",
                       EXIT_FAILED) from None


def _promotable_value(stack_file: StackFile, key: str, required: bool) -> VersionPin | None:
    if key in stack_file.secret_keys:
        raise OpsError(f"{stack_file.path.name}: {key} is a secure: value; version pins "
                       "must be plain text to be promoted")
    if key not in stack_file.config:
        if required:
            raise OpsError(f"{stack_file.path.name} has no {key} to promote")
        return None
    return _pin(stack_file, key)


def judge_change(key: str, old: VersionPin | None, new: VersionPin,
                 allow_digest: bool, target_name: str) -> Change | None:
    """The change promoting `new` over `old`, None when they are equal; refuses the unsafe."""
    if old is None:
        return Change(key, None, new.text, f"not set in {target_name}: added")
    if old == new:
        return None
    if old.is_digest and new.is_digest:
        return Change(key, old.text, new.text,
                      "image digests cannot be ordered; promoted because they differ")
    if old.is_digest or new.is_digest:
        if not allow_digest:
            raise OpsError(f"{key}: cannot tell whether {new.text} is newer than {old.text} "
                           "(an image digest has no order); check it and pass "
                           "--allow-digest to promote anyway", EXIT_FAILED)
        return Change(key, old.text, new.text,
                      "release and digest cannot be ordered; allowed by --allow-digest")
    if new.precedence() < old.precedence():
        raise OpsError(f"{key}: refusing to downgrade {target_name} from {old.text} "
                       f"to {new.text}; nothing promoted", EXIT_FAILED)
    return Change(key, old.text, new.text)


def planned_changes(source: StackFile, target: StackFile, allow_digest: bool) -> list[Change]:
    changes = []
    for key in PROMOTABLE_KEYS:
        new = _promotable_value(source, key, required=True)
        old = _promotable_value(target, key, required=False)
        change = judge_change(key, old, new, allow_digest, target.path.name)
        if change is not None:
            changes.append(change)
    return changes


# --- editing the target stack file in place ---

def _round_trip_yaml() -> YAML:
    yaml = YAML()  # round-trip: keeps comments, key order and quoting
    yaml.preserve_quotes = True
    # The indentation Pulumi's stack files use: lists indented under their key.
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long line
    return yaml


def _same_style(old_value: object, text: str) -> str:
    """`text` in the scalar style (plain, single- or double-quoted) of the value it replaces."""
    return type(old_value)(text) if isinstance(old_value, str) else text


def edited_stack_text(original: str, changes: list[Change], file_name: str) -> str:
    yaml = _round_trip_yaml()
    try:
        document = yaml.load(original)
    except YAMLError as error:
        raise OpsError(f"{file_name} is not valid YAML ({str(error).splitlines()[0]})") from None
    config = document.get("config") if isinstance(document, dict) else None
    if config is None:
        raise OpsError(f"{file_name} has no `config:` mapping to promote into")
    for change in changes:
        config[change.key] = _same_style(config.get(change.key), change.new)
    stream = io.StringIO()
    yaml.dump(document, stream)
    edited = stream.getvalue()
    _require_only_promoted_lines_changed(original, edited, changes, file_name)
    return edited


def _require_only_promoted_lines_changed(original: str, edited: str, changes: list[Change],
                                         file_name: str) -> None:
    """A file laid out differently would come back reformatted; refuse rather than do that."""
    removed = added = 0
    for line in difflib.ndiff(original.splitlines(), edited.splitlines()):
        removed += line.startswith("- ")
        added += line.startswith("+ ")
    replaced = sum(change.old is not None for change in changes)
    if removed > replaced or added > len(changes):
        raise OpsError(f"{file_name} would be reformatted beyond the promoted lines "
                       "(its indentation differs from Pulumi's); set the version by hand")


def diff_lines(original: str, edited: str, file_name: str) -> list[str]:
    return list(difflib.unified_diff(original.splitlines(), edited.splitlines(),
                                     fromfile=f"a/{file_name}", tofile=f"b/{file_name}",
                                     lineterm=""))


# --- the health gate ---

def require_usable_health_url(url: str) -> None:
    """A URL that cannot be the node's is a bad argument: said before anything else."""
    try:
        node_health.base_url(url)
    except node_health.Unusable as problem:
        raise OpsError(f"--health-url: {problem}") from None


def require_healthy_source(url: str, timeout: float, source_name: str) -> None:
    """The same verdict and exit code as `ops health URL`; the promotion waits for 0."""
    try:
        report = node_health.ask_node(url, timeout)
    except node_health.Unusable as problem:
        raise OpsError(f"health gate: {problem}; nothing promoted") from None
    if report.exit_code != EXIT_OK:
        print("\n".join(node_health.report_lines(report)))
        raise OpsError(f"health gate failed: the {source_name} node at {report.url} is "
                       f"{report.state}; nothing promoted", EXIT_FAILED)
    print(f"health gate: the {source_name} node at {report.url} is ready, "
          f"all {len(report.checks)} checks passing")


# --- the command ---

def promote(source_stack: str, target_stack: str, project_dir: Path, *, dry_run: bool = False,
            allow_digest: bool = False, health_url: str | None = None,
            health_timeout: float = DEFAULT_HEALTH_TIMEOUT) -> int:
    require_stack_name(source_stack, "--from", project_dir)
    require_stack_name(target_stack, "--to", project_dir)
    if health_timeout <= 0:
        raise OpsError(f"--health-timeout must be positive, got {health_timeout}")
    if source_stack == target_stack:
        raise OpsError(f"--from and --to are both {source_stack!r}; promote between two stacks")
    if health_url:
        require_usable_health_url(health_url)
    source = read_stack_file(source_stack, project_dir)
    target = read_stack_file(target_stack, project_dir)
    target_name = target.path.name

    changes = planned_changes(source, target, allow_digest)
    if not changes:
        print(f"nothing to promote: {target_name} already has the versions of "
              f"{source.path.name}")
        return EXIT_OK

    original = read_bounded_text(target.path)
    edited = edited_stack_text(original, changes, target_name)
    if health_url:
        require_healthy_source(health_url, health_timeout, source_stack)
    print(f"promote {source_stack} -> {target_stack}:")
    for change in changes:
        print(f"  {change.summary()}")
    for line in diff_lines(original, edited, target_name):
        print(line)
    if dry_run:
        print(f"dry run: {target_name} not changed")
        return EXIT_OK
    write_text_atomically(target.path, edited)
    print(f"updated {target_name}")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    return promote(args.source, args.target, args.project_dir, dry_run=args.dry_run,
                   allow_digest=args.allow_digest, health_url=args.health_url,
                   health_timeout=args.health_timeout)
