"""`python -m ops promote`: in-place edits of the target stack file, refusals, the health gate."""

from __future__ import annotations

import re

import os
import shutil
import stat
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from ops.__main__ import main
from ops.lib.stackfile import PROJECT_ROOT
from ops.lib.versions import VersionPin
from tests.conftest import run_ops
from tests.node_server import RecordedNode, recorded_node, run_ops_bounded

KEY = "chainlink-node-aws:chainlinkVersion"
CHECKED_IN_VERSION = "2.29.0"
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def version_line(version: str) -> str:
    return f"  {KEY}: {version}\n"


def set_version(stack_file: Path, version: str) -> None:
    text = stack_file.read_text()
    assert text.count(version_line(CHECKED_IN_VERSION)) == 1
    stack_file.write_text(text.replace(version_line(CHECKED_IN_VERSION), version_line(version)))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Pulumi.yaml and both stack files, as checked in."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy2(PROJECT_ROOT / name, tmp_path / name)
    return tmp_path


def promote(project: Path, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["promote", "--from", "dev", "--to", "prod", "--project-dir", str(project),
                 *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def given_versions(project: Path, dev: str | None = None, prod: str | None = None) -> None:
    for stack, version in (("dev", dev), ("prod", prod)):
        if version is not None:
            set_version(project / f"Pulumi.{stack}.yaml", version)


def refusal(project: Path, capsys, *extra: str, exit_code: int = 1) -> str:
    """Runs a promotion that must be refused: checks the exit code and that the target
    file is untouched; returns the one error line."""
    prod = project / "Pulumi.prod.yaml"
    original = prod.read_bytes()
    code, out, err = promote(project, capsys, *extra)
    assert code == exit_code, err
    assert prod.read_bytes() == original
    assert "updated" not in out
    return one_error_line(err)


# --- the acceptance scenario, as a user runs it in a clone ---

def test_raised_dev_version_is_promoted_changing_only_that_line(project_copy):
    prod = project_copy / "Pulumi.prod.yaml"
    original = prod.read_bytes()
    set_version(project_copy / "Pulumi.dev.yaml", "2.30.0")

    result = run_ops("promote", "--from", "dev", "--to", "prod", cwd=project_copy)

    assert result.returncode == 0, result.stderr
    expected = original.replace(version_line(CHECKED_IN_VERSION).encode(),
                                version_line("2.30.0").encode())
    assert expected != original
    assert prod.read_bytes() == expected
    for line in original.decode().splitlines():
        if line.lstrip().startswith(("#", "secure:")):
            assert line in prod.read_text().splitlines()
    assert f"-  {KEY}: 2.29.0" in result.stdout
    assert f"+  {KEY}: 2.30.0" in result.stdout
    assert "updated Pulumi.prod.yaml" in result.stdout


def test_dry_run_shows_the_change_and_writes_nothing(project_copy):
    prod = project_copy / "Pulumi.prod.yaml"
    original = prod.read_bytes()
    set_version(project_copy / "Pulumi.dev.yaml", "2.30.0")

    result = run_ops("promote", "--from", "dev", "--to", "prod", "--dry-run", cwd=project_copy)

    assert result.returncode == 0, result.stderr
    assert f"{KEY}: 2.29.0 -> 2.30.0" in result.stdout
    assert f"+  {KEY}: 2.30.0" in result.stdout
    assert "dry run: Pulumi.prod.yaml not changed" in result.stdout
    assert prod.read_bytes() == original


def test_downgrade_exits_1_and_changes_nothing(project_copy):
    prod = project_copy / "Pulumi.prod.yaml"
    original = prod.read_bytes()
    set_version(project_copy / "Pulumi.dev.yaml", "2.28.3")

    result = run_ops("promote", "--from", "dev", "--to", "prod", cwd=project_copy)

    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert "refusing to downgrade Pulumi.prod.yaml from 2.29.0 to 2.28.3" in line
    assert "Traceback" not in result.stderr
    assert prod.read_bytes() == original


# --- version order ---

def test_semver_precedence_follows_the_specification():
    # The example chain of semver.org rule 11, then numeric (not lexical) components.
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
               "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.9.0", "2.10.0",
               "2.10.1", "10.0.0"]
    keys = [VersionPin.parse(text).precedence() for text in ordered]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_a_digest_has_no_precedence():
    with pytest.raises(ValueError, match="no order"):
        VersionPin.parse(DIGEST_A).precedence()


@pytest.mark.parametrize("dev, prod", [("2.30.0-rc.1", "2.30.0"), ("2.9.0", "2.10.0")])
def test_lower_versions_are_refused(project, capsys, dev, prod):
    given_versions(project, dev=dev, prod=prod)
    line = refusal(project, capsys)
    assert f"refusing to downgrade Pulumi.prod.yaml from {prod} to {dev}" in line


def test_release_after_its_release_candidate_is_an_upgrade(project, capsys):
    given_versions(project, dev="2.30.0", prod="2.30.0-rc.2")

    code, out, _ = promote(project, capsys)

    assert code == 0
    assert version_line("2.30.0") in (project / "Pulumi.prod.yaml").read_text()


def test_identical_versions_are_nothing_to_promote(project, capsys):
    original = (project / "Pulumi.prod.yaml").read_bytes()

    code, out, err = promote(project, capsys)

    assert (code, err) == (0, "")
    assert out.startswith("nothing to promote")
    assert (project / "Pulumi.prod.yaml").read_bytes() == original


@pytest.mark.parametrize("stack, version", [("dev", "latest"), ("dev", "v2.30.0"),
                                            ("prod", "2.29"), ("dev", "2.30.0-root")])
def test_unparsable_versions_exit_1_naming_file_and_key(project, capsys, stack, version):
    set_version(project / f"Pulumi.{stack}.yaml", version)
    line = refusal(project, capsys)
    assert line.startswith(f"error: Pulumi.{stack}.yaml: {KEY}: ")
    assert line.endswith("nothing promoted")


# --- image digests ---

def test_a_different_digest_is_promoted_and_said_to_be_unordered(project, capsys):
    given_versions(project, dev=DIGEST_B, prod=DIGEST_A)

    code, out, _ = promote(project, capsys)

    assert code == 0
    assert "image digests cannot be ordered" in out
    assert version_line(DIGEST_B) in (project / "Pulumi.prod.yaml").read_text()


@pytest.mark.parametrize("dev, prod", [(DIGEST_A, "2.29.0"), ("2.30.0", DIGEST_A)])
def test_release_digest_switch_needs_explicit_consent(project, capsys, dev, prod):
    given_versions(project, dev=dev, prod=prod)
    assert "--allow-digest" in refusal(project, capsys)

    code, out, _ = promote(project, capsys, "--allow-digest")
    assert code == 0
    assert "allowed by --allow-digest" in out
    assert version_line(dev) in (project / "Pulumi.prod.yaml").read_text()


# --- editing in place ---

def test_missing_target_key_is_added_and_the_rest_kept(project, capsys):
    prod = project / "Pulumi.prod.yaml"
    without_key = prod.read_text().replace(version_line(CHECKED_IN_VERSION), "")
    prod.write_text(without_key)

    code, out, _ = promote(project, capsys)

    assert code == 0
    assert "(not set) -> 2.29.0" in out
    assert prod.read_text() == without_key + version_line(CHECKED_IN_VERSION)


def test_quoting_and_end_of_line_comment_of_the_value_are_kept(project, capsys):
    prod = project / "Pulumi.prod.yaml"
    text = prod.read_text().replace(version_line(CHECKED_IN_VERSION),
                                    f'  {KEY}: "2.29.0"  # pinned after the audit\n')
    prod.write_text(text)
    set_version(project / "Pulumi.dev.yaml", "2.30.1")

    assert promote(project, capsys)[0] == 0
    assert prod.read_text() == text.replace('"2.29.0"', '"2.30.1"')


def test_a_file_in_another_layout_is_refused_rather_than_reformatted(project, capsys):
    prod = project / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace('    - "222222222222"', '  - "222222222222"'))
    given_versions(project, dev="2.30.0")
    assert "would be reformatted" in refusal(project, capsys, exit_code=2)


def test_the_write_is_atomic_and_keeps_the_file_mode(project, capsys, monkeypatch):
    prod = project / "Pulumi.prod.yaml"
    prod.chmod(0o640)
    original = prod.read_bytes()
    set_version(project / "Pulumi.dev.yaml", "2.30.0")

    def failing_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    code, _, err = promote(project, capsys)
    assert code == 2
    assert one_error_line(err) == f"error: cannot write {prod}: disk full"
    assert prod.read_bytes() == original
    monkeypatch.undo()

    assert promote(project, capsys)[0] == 0
    assert stat.S_IMODE(prod.stat().st_mode) == 0o640
    leftovers = sorted(p.name for p in project.iterdir())
    # The lock file stays on purpose (tests/test_promote_faults.py): no temporary file.
    assert leftovers == [".Pulumi.prod.yaml.lock", "Pulumi.dev.yaml", "Pulumi.prod.yaml",
                         "Pulumi.yaml"]


# --- bad input ---

def test_missing_stack_file_exits_2_and_lists_known_stacks(project, capsys):
    code = main(["promote", "--from", "dev", "--to", "staging", "--project-dir", str(project)])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2
    assert "no stack file Pulumi.staging.yaml" in line and "dev, prod" in line


def test_invalid_yaml_exits_2(project, capsys):
    prod = project / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text() + "  broken: [unclosed\n")
    message = refusal(project, capsys, exit_code=2)
    # File, line and column of the problem (issue 15).
    assert re.search(r"Pulumi\.prod\.yaml:\d+:\d+: not valid YAML", message), message


def test_secure_version_is_not_promoted(project, capsys):
    dev = project / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text().replace(version_line(CHECKED_IN_VERSION),
                                           f"  {KEY}:\n    secure: v1:abc\n"))
    assert "secure: value" in refusal(project, capsys, exit_code=2)


@pytest.mark.parametrize("argv, message", [
    (["--from", "dev", "--to", "dev"], "both 'dev'"),
    (["--from", "../dev", "--to", "prod"], "not a stack name"),
])  # --health-timeout 0, -1, nan, inf: tests/test_promote_faults.py
def test_bad_arguments_exit_2(project, capsys, argv, message):
    code = main(["promote", *argv, "--project-dir", str(project)])
    assert code == 2
    assert message in one_error_line(capsys.readouterr().err)


# --- the health gate ---

@pytest.fixture(scope="module")
def node_url():
    with recorded_node() as url:
        yield url


def test_healthy_source_node_lets_the_promotion_through(project, capsys, node_url):
    set_version(project / "Pulumi.dev.yaml", "2.30.0")

    code, out, _ = promote(project, capsys, "--health-url", node_url("passing"),
                           "--health-timeout", "3")

    assert code == 0
    assert out.splitlines()[0] == (f"health gate: the dev node at {node_url('passing')} is "
                                   "ready, all 3 checks passing")
    assert version_line("2.30.0") in (project / "Pulumi.prod.yaml").read_text()


@pytest.mark.parametrize("scenario,state", [
    ("failing-207", "unhealthy"), ("not-ready", "not ready"),
    ("migrating", "starting/migrating"), ("migrating-503", "starting/migrating")])
def test_a_source_node_that_is_not_ready_refuses_with_exit_1(project, capsys, node_url,
                                                              scenario, state):
    given_versions(project, dev="2.30.0")
    prod = project / "Pulumi.prod.yaml"
    original = prod.read_bytes()
    code, out, err = promote(project, capsys, "--health-url", node_url(scenario))
    assert code == 1 and prod.read_bytes() == original
    assert one_error_line(err) == (f"error: health gate failed: the dev node at "
                                   f"{node_url(scenario)} is {state}; nothing promoted")
    assert out.startswith("node:    ") and "+++ b/Pulumi.prod.yaml" not in out


@pytest.mark.parametrize("scenario", ["not-a-node", "garbage"])
def test_a_health_url_that_is_not_a_node_exits_2_like_ops_health(project, capsys, node_url,
                                                                  scenario):
    given_versions(project, dev="2.30.0")
    line = refusal(project, capsys, "--health-url", node_url(scenario), exit_code=2)
    assert line.startswith("error: health gate: ") and "is this the node's base URL?" in line


def test_a_health_url_that_cannot_be_a_node_exits_2_before_anything_else(project, capsys):
    given_versions(project, dev="2.30.0")
    code, out, err = promote(project, capsys, "--health-url", "notaurl")
    assert (code, out) == (2, "")
    assert one_error_line(err) == ("error: --health-url: 'notaurl' is not the node's base URL; "
                                   "give one such as http://10.0.1.23:6688 or "
                                   "https://node.example.com")


def test_nothing_to_promote_needs_no_health_check(project, capsys):
    with ThreadingHTTPServer(("127.0.0.1", 0), RecordedNode) as closed:
        port = closed.server_address[1]  # nothing listens there: asking it would fail
    code, out, _ = promote(project, capsys, "--health-url", f"http://127.0.0.1:{port}")
    assert code == 0 and out.startswith("nothing to promote")


# --- hostile stack files: bounded, one line, exit 2 ---

def _laughs(levels: int = 9) -> str:
    # Top-level keys: the file is judged before its config is read.
    lines = ['laugh0: &l0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]']
    lines += [f"laugh{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]"
              for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


HOSTILE_STACK_FILES = {
    "aliases": ("expand to more than 100,000 values", None),
    "huge": ("is larger than 512 KiB", lambda: "# " + "x" * (600 * 1024) + "\n"),
    "deep": ("nests deeper than 64 levels", lambda: "deep: " + "[" * 50_000 + "\n"),
    "long-number": ("holds a number too long to read", lambda: "n: " + "9" * 5000 + "\n"),
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("case", sorted(HOSTILE_STACK_FILES))
def test_a_hostile_stack_file_is_refused_in_bounds(project, stack, case):
    message, extra_config = HOSTILE_STACK_FILES[case]
    given_versions(project, dev="2.30.0")
    stack_file = project / f"Pulumi.{stack}.yaml"
    if case == "aliases":
        # Anchors before `config:`, the alias as a config value: loading would expand it.
        stack_file.write_text(_laughs() + stack_file.read_text()
                              + "  chainlink-node-aws:laughs: *l9\n")
    else:
        stack_file.write_text(stack_file.read_text() + extra_config())
    prod_before = (project / "Pulumi.prod.yaml").read_bytes()

    result = run_ops_bounded("promote", "--from", "dev", "--to", "prod",
                             "--project-dir", str(project),
                             cpu_seconds=20, memory_mb=1024, wall_seconds=60)

    assert result.returncode == 2, result.stderr
    line = one_error_line(result.stderr)
    assert f"Pulumi.{stack}.yaml" in line and message in line
    assert result.max_rss_mb < 200
    assert (project / "Pulumi.prod.yaml").read_bytes() == prod_before


def test_a_few_aliases_in_a_stack_file_are_fine(project, capsys):
    given_versions(project, dev="2.30.0")
    prod = project / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text() + "team: &team platform\nowner: *team\n")
    code, _, err = promote(project, capsys)
    assert code == 0, err
    assert prod.read_text().endswith("team: &team platform\nowner: *team\n")
