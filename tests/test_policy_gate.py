"""End to end: the policy pack blocks `ops preview` when a stack loses encryption or backups."""

from __future__ import annotations

import json

from tests.conftest import run_ops


def _blocked_policies(result) -> set[str]:
    """Policies listed as `- [mandatory]  policy  (type: name)` in the Policies: section."""
    return {line.split()[2] for line in result.stdout.splitlines()
            if line.strip().startswith("- [mandatory]")}


def test_a_stack_with_too_little_backup_is_blocked(project_copy, tmp_path):
    # A QA stack copied from dev, held to the production policy config.
    dev = (project_copy / "Pulumi.dev.yaml").read_text()
    qa = dev.replace('backupRetentionDays: 3', 'backupRetentionDays: 1')
    assert qa != dev
    (project_copy / "Pulumi.qa.yaml").write_text(qa)
    report = tmp_path / "qa.json"
    result = run_ops("preview", "--stack", "qa", "--policy-config",
                     str(project_copy / "policies" / "config" / "prod.json"),
                     "--json", str(report), cwd=project_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "aws-rds-database-configure-backup-retention" in _blocked_policies(result)
    violations = json.loads(report.read_text())["violations"]
    assert {"policy": "aws-rds-database-configure-backup-retention",
            "category": "missing-backups", "enforcementLevel": "mandatory"}.items() <= \
        next(v for v in violations
             if v["policy"] == "aws-rds-database-configure-backup-retention").items()


def test_a_database_without_storage_encryption_is_blocked(project_copy):
    database = project_copy / "components" / "database.py"
    code = database.read_text()
    assert code.count("storage_encrypted=True") == 1
    database.write_text(code.replace("storage_encrypted=True", "storage_encrypted=False"))
    for stack in ("dev", "prod"):
        result = run_ops("preview", "--stack", stack, cwd=project_copy)
        assert result.returncode == 1, result.stdout + result.stderr
        assert _blocked_policies(result) == {"aws-rds-database-enable-storage-encryption"}


def test_the_unchanged_copy_passes(project_copy):
    result = run_ops("preview", "--stack", "prod", cwd=project_copy)
    assert result.returncode == 0 and _blocked_policies(result) == set()
