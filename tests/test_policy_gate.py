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


def _verdicts(violations) -> set[tuple[str, str, str]]:
    return {(v["policy"], v["urn"], v["enforcementLevel"]) for v in violations}


def _as_stack_export(preview: dict) -> dict:
    return {"version": 3, "deployment": {"resources": [
        {"urn": r["urn"], "type": r["type"], "parent": r["parent"], "inputs": r["inputs"], "custom": True}
        for r in preview["resources"]]}}


def _as_pulumi_preview(preview: dict) -> dict:
    return {"steps": [{"op": "create", "urn": r["urn"],
                       "newState": {"urn": r["urn"], "type": r["type"], "parent": r["parent"], "inputs": r["inputs"]}}
                      for r in preview["resources"]]}


def test_ops_audit_of_every_document_format_agrees_with_ops_preview(tmp_path):
    from ops.lib.paths import PROJECT_ROOT
    for stack in ("dev", "prod"):
        written = tmp_path / f"{stack}.json"
        config = str(PROJECT_ROOT / "policies" / "config" / f"{stack}.json")
        preview = run_ops("preview", "--stack", stack, "--json", str(written))
        assert preview.returncode == 0, preview.stderr
        document = json.loads(written.read_text())
        expected = _verdicts(document["violations"])
        for kind, shaped in (("ops-preview", document), ("stack-export", _as_stack_export(document)),
                             ("preview", _as_pulumi_preview(document))):
            path, report = tmp_path / f"{stack}-{kind}.json", tmp_path / f"{stack}-{kind}-report.json"
            path.write_text(json.dumps(shaped))
            audited = run_ops("audit", str(path), "--policy-config", config, "--json", str(report))
            assert audited.returncode == 0, audited.stdout + audited.stderr
            result = json.loads(report.read_text())
            assert result["kind"] == kind
            assert _verdicts(result["violations"]) == expected, (stack, kind)
