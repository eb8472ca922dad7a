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

Two promotions into one stack never interleave: each holds an exclusive lock on
`.Pulumi.<TARGET>.yaml.lock` (beside the stack file) from reading the target to renaming
the new file over it, and re-reads the target right before the rename: when anything
changed it meanwhile, the promotion is judged again against what the file holds now (a
downgrade is then refused, exit 1). The file keeps its bytes except the promoted value
(line endings, a missing final newline, a BOM); a symbolic link stays a link and the file
it points to is edited (the lock beside that file is held too). Temporary files are
removed on SIGINT/SIGTERM, and ones left by a killed promotion are removed by the next one.
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import stat
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from stack_config import namespaced
from ops.lib import node_health
from ops.lib.errors import EXIT_FAILED, EXIT_OK, OpsError
from ops.lib.report import (lock_path, remove_stale_temporaries, resolved_target, write_lock,
                            write_text_atomically)
from ops.lib.stackfile import (PROJECT_ROOT, StackFile, read_bounded_text, read_stack_file,
                                require_stack_name, stack_file_path)
from ops.lib.versions import VersionPin

PROMOTABLE_KEYS = (namespaced("chainlinkVersion"),)
DEFAULT_HEALTH_TIMEOUT = node_health.DEFAULT_TIMEOUT_SECONDS
# Times the target may change under a promotion (a writer that ignores the lock) before
# it gives up; each time the promotion is judged again.
MAX_ATTEMPTS = 5
BOM = "\ufeff"


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
    parser.add_argument("--health-timeout", type=node_health.timeout_argument,
                        default=DEFAULT_HEALTH_TIMEOUT, metavar="SECONDS",
                        help="timeout of each health request, above 0 and at most "
                             f"{node_health.MAX_TIMEOUT_SECONDS:g} "
                             f"(default {DEFAULT_HEALTH_TIMEOUT:g})")
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
    """`original` with the changes made, every other byte kept: the YAML round trip runs on
    the text with LF endings and no BOM, and the result gets the file's BOM, line ending
    and (missing) final newline back."""
    bom = BOM if original.startswith(BOM) else ""
    body = original[len(bom):]
    newline = "\r\n" if "\r\n" in body else "\n"
    yaml = _round_trip_yaml()
    try:
        document = yaml.load(body.replace("\r\n", "\n"))
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
    if not body.endswith(("\n", "\r")):
        edited = edited.removesuffix("\n")
    edited = bom + edited.replace("\n", newline)
    _require_only_promoted_lines_changed(original, edited, changes, file_name)
    return edited


def _lines_with_endings(text: str, newline: str) -> list[str]:
    # A file without a final newline: both versions get one for the comparison (the
    # written file has none), so that a line appended after the last line counts as one.
    if not text.endswith(("\n", "\r")):
        text += newline
    return text.splitlines(keepends=True)


def _require_only_promoted_lines_changed(original: str, edited: str, changes: list[Change],
                                         file_name: str) -> None:
    """A file laid out differently would come back reformatted; refuse rather than do that.

    Lines are compared with their endings: a line whose CR LF became LF is a changed line.
    """
    newline = "\r\n" if "\r\n" in original else "\n"
    before = _lines_with_endings(original, newline)
    after = _lines_with_endings(edited, newline)
    removed = added = 0
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, start, end, new_start, new_end in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += end - start
        if tag in ("replace", "insert"):
            added += new_end - new_start
    replaced = sum(change.old is not None for change in changes)
    if removed > replaced or added > len(changes):
        raise OpsError(f"{file_name} would be reformatted beyond the promoted lines (its "
                       "indentation or line endings differ from Pulumi's); set the version "
                       "by hand")


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

@dataclass(frozen=True)
class Plan:
    """What promoting into the target's current content does."""
    target: StackFile
    original: str         # the target file's text the changes were judged on
    changes: list[Change]
    edited: str           # the new text; == original when there are no changes


class _TargetChanged(Exception):
    """The target file changed between judging it and renaming over it."""


def _require_regular_file(path: Path) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # missing or unreadable: read_stack_file says so
    if not stat.S_ISREG(mode):
        raise OpsError(f"{path.name} is not a regular file; promote edits a stack file in "
                       "place: replace it with the stack file (a link to one is fine)")


def plan_promotion(source: StackFile, target_stack: str, project_dir: Path,
                   allow_digest: bool) -> Plan:
    """Read the target and judge the promotion; the text judged is the text edited (read
    before and after parsing, and required to be the same)."""
    path = stack_file_path(target_stack, project_dir)
    _require_regular_file(path)
    for _ in range(MAX_ATTEMPTS):
        original = read_bounded_text(path) if path.exists() else None
        target = read_stack_file(target_stack, project_dir)
        if original is not None and read_bounded_text(path) == original:
            break
    else:
        raise _changing(path.name)
    changes = planned_changes(source, target, allow_digest)
    edited = edited_stack_text(original, changes, path.name) if changes else original
    return Plan(target, original, changes, edited)


def _changing(file_name: str) -> OpsError:
    return OpsError(f"{file_name} kept changing while it was promoted into ({MAX_ATTEMPTS} "
                    "times); nothing promoted; stop whatever else writes it and run again",
                    EXIT_FAILED)


def _still_holds(path: Path, text: str) -> None:
    """Compare-and-swap: the rename goes ahead only over the text the plan was judged on."""
    if read_bounded_text(path) != text:
        raise _TargetChanged


def _nothing_to_promote(plan: Plan, source: StackFile) -> int:
    print(f"nothing to promote: {plan.target.path.name} already has the versions of "
          f"{source.path.name}")
    return EXIT_OK


def _print_plan(plan: Plan, source_stack: str, target_stack: str) -> None:
    print(f"promote {source_stack} -> {target_stack}:")
    for change in plan.changes:
        print(f"  {change.summary()}")
    for line in diff_lines(plan.original, plan.edited, plan.target.path.name):
        print(line)


def _say_waiting(lock_file: Path) -> None:
    print(f"waiting for another promotion into this stack to finish ({lock_file.name})",
          flush=True)


def _say_removed(paths: list[Path]) -> None:
    for path in paths:
        print(f"removed {path.name}, left by an interrupted promotion")


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path.parent)) / path.name


@contextmanager
def _promotion_locks(path: Path):
    """The lock beside `path`, and when `path` is a link, the lock beside the file it points
    to as well: two projects linking one shared stack file then exclude each other too (and
    neither removes the other's live temporary file). Always in this order, and a resolved
    file is never a link itself, so two promotions cannot each hold the lock the other
    waits for."""
    with ExitStack() as locks:
        locks.enter_context(write_lock(path, waiting=_say_waiting))
        shared = resolved_target(path)
        if _real(lock_path(shared)) != _real(lock_path(path)):
            locks.enter_context(write_lock(shared, waiting=_say_waiting))
        yield


def promote(source_stack: str, target_stack: str, project_dir: Path, *, dry_run: bool = False,
            allow_digest: bool = False, health_url: str | None = None,
            health_timeout: float = DEFAULT_HEALTH_TIMEOUT) -> int:
    require_stack_name(source_stack, "--from", project_dir)
    require_stack_name(target_stack, "--to", project_dir)
    problem = node_health.timeout_problem(health_timeout)
    if problem:
        raise OpsError(f"--health-timeout: {problem}")
    if source_stack == target_stack:
        raise OpsError(f"--from and --to are both {source_stack!r}; promote between two stacks")
    if health_url:
        require_usable_health_url(health_url)
    source = read_stack_file(source_stack, project_dir)
    if dry_run:  # writes nothing, so it takes no lock
        plan = plan_promotion(source, target_stack, project_dir, allow_digest)
        if not plan.changes:
            return _nothing_to_promote(plan, source)
        if health_url:
            require_healthy_source(health_url, health_timeout, source_stack)
        _print_plan(plan, source_stack, target_stack)
        print(f"dry run: {plan.target.path.name} not changed")
        return EXIT_OK

    path = stack_file_path(target_stack, project_dir)
    _require_regular_file(path)
    if not path.exists():
        read_stack_file(target_stack, project_dir)  # the one-line "no stack file" error
    with _promotion_locks(path):
        _say_removed(remove_stale_temporaries(path))
        plan = plan_promotion(source, target_stack, project_dir, allow_digest)
        if not plan.changes:
            return _nothing_to_promote(plan, source)
        if health_url:
            require_healthy_source(health_url, health_timeout, source_stack)
        for _ in range(MAX_ATTEMPTS):
            try:
                write_text_atomically(path, plan.edited,
                                      before_replace=lambda: _still_holds(path, plan.original))
                break
            except _TargetChanged:
                # Another writer (one that ignores the lock) got in: judge again what the
                # file holds now; a downgrade is refused like any other.
                plan = plan_promotion(source, target_stack, project_dir, allow_digest)
                if not plan.changes:
                    return _nothing_to_promote(plan, source)
        else:
            raise _changing(path.name)
    _print_plan(plan, source_stack, target_stack)
    print(f"updated {plan.target.path.name}")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    return promote(args.source, args.target, args.project_dir, dry_run=args.dry_run,
                   allow_digest=args.allow_digest, health_url=args.health_url,
                   health_timeout=args.health_timeout)
