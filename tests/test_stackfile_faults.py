"""Legal YAML that Pulumi config has no form for is one line naming the key, in every
command that reads a stack file (issue 17)."""

from __future__ import annotations

import pytest

from tests.conftest import run_ops

COMMANDS = [
    ("preview", "--stack", "dev"),
    ("prometheus-config", "--stack", "dev"),
    ("verify-backups", "--stack", "dev"),
    ("promote", "--from", "dev", "--to", "prod", "--dry-run"),
]


@pytest.mark.parametrize("line, where, kind", [
    ("chainlink-node-aws:maintenanceDay: 2024-01-01", "config.chainlink-node-aws:maintenanceDay", "date"),
    ("chainlink-node-aws:since: 2001-12-14t21:59:43.10-05:00", "config.chainlink-node-aws:since", "timestamp"),
    ("chainlink-node-aws:blob: !!binary aGVsbG8=", "config.chainlink-node-aws:blob", "!!binary value"),
    ("chainlink-node-aws:names: !!set {a, b}", "config.chainlink-node-aws:names", "!!set"),
    ("chainlink-node-aws:byDay: {2024-01-01: x}", "config.chainlink-node-aws:byDay.2024-01-01", "date"),
])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_a_yaml_type_config_cannot_carry_is_one_line_naming_the_key(project_copy, command,
                                                                     line, where, kind):
    stack_file = project_copy / "Pulumi.dev.yaml"
    original = stack_file.read_text()
    stack_file.write_text(original.rstrip("\n") + f"\n  {line}\n")
    result = run_ops(*command, "--project-dir", str(project_copy)) if command[0] == "promote" \
        else run_ops(*command, cwd=project_copy)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: Pulumi.dev.yaml: {where} holds a YAML {kind} as a "
        f"{'key' if where.endswith('2024-01-01') else 'value'}, which Pulumi config cannot "
        "carry; quote it to make it a string"]
    assert "Traceback" not in result.stderr


def test_a_stack_name_longer_than_pulumi_allows_is_one_line():
    result = run_ops("preview", "--stack", "a" * 300)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: --stack: a stack name has at most 100 characters, this one 300; give a shorter name"]


@pytest.mark.parametrize("region, hint", [("mars-north-9", "did you mean eu-north-1?"),
                                          ("us-east-11", "did you mean us-east-1?")])
def test_a_region_aws_does_not_have_is_refused_before_the_program_runs(project_copy, region, hint):
    stack_file = project_copy / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("aws:region: us-east-1",
                                                         f"aws:region: {region}"))
    result = run_ops("preview", "--stack", "dev", cwd=project_copy)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: aws:region: {region!r} is not an AWS region; {hint}"]


def test_every_region_of_every_partition_is_known():
    from stack_config.parsers import known_regions
    assert {"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"} <= known_regions()


def test_pulumi_yaml_is_read_again_once_it_changes(tmp_path):
    """read_stack_file keeps the project's name per version of Pulumi.yaml: an edit, a
    broken file or a removed one is seen by the next read in the same process."""
    from ops.lib.errors import OpsError
    from ops.lib.stackfile import PROJECT_ROOT, read_stack_file

    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        (tmp_path / name).write_bytes((PROJECT_ROOT / name).read_bytes())
    project = tmp_path / "Pulumi.yaml"
    assert read_stack_file("dev", tmp_path).project == "chainlink-node-aws"
    project.write_text(project.read_text().replace("name: chainlink-node-aws",
                                                   "name: renamed", 1))
    assert read_stack_file("dev", tmp_path).project == "renamed"
    project.write_text("name: [unclosed\n")
    with pytest.raises(OpsError, match=r"Pulumi.yaml:2:1: not valid YAML"):
        read_stack_file("dev", tmp_path)
    project.unlink()
    with pytest.raises(OpsError, match="Pulumi.yaml does not exist"):
        read_stack_file("dev", tmp_path)
