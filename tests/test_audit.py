"""`python -m ops audit`: document detection, verdicts, exit codes, the JSON report and bad input."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ops.commands import audit
from ops.commands.audit import resources_from_document
from policies.engine import normalise
from policies.rules.common.values import SECRET

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
CLEAN_EXPORT = FIXTURES / "stack-export-clean.json"
VIOLATING_EXPORT = FIXTURES / "stack-export-violations.json"
PREVIEW = FIXTURES / "prod-preview.json"
DEV_CONFIG = REPO / "policies" / "config" / "dev.json"


def run_audit(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops")
    audit.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["audit", *map(str, argv)])
    return args.func(args)


def audit_report(tmp_path, document, *extra) -> tuple[int, dict]:
    report = tmp_path / "report.json"
    code = run_audit(document, "--json", report, *extra)
    return code, json.loads(report.read_text())


def test_clean_export_passes_and_skips_deleted_and_external_resources(tmp_path, capsys):
    code, report = audit_report(tmp_path, CLEAN_EXPORT)
    assert code == 0
    assert report == {"document": str(CLEAN_EXPORT), "kind": "stack-export", "resources": 8, "violations": []}
    assert capsys.readouterr().out.splitlines()[-1] == "Policies passed: 0 mandatory, 0 advisory violation(s)."


def test_export_with_violations_fails_and_names_the_policies(tmp_path, capsys):
    code, report = audit_report(tmp_path, VIOLATING_EXPORT)
    assert code == 1
    assert report["kind"] == "stack-export"
    found = {(v["policy"], v["urn"].rsplit("::", 1)[-1]) for v in report["violations"]}
    assert found == {
        ("aws-rds-database-configure-backup-retention", "prod-db"),
        ("aws-rds-database-enable-storage-encryption", "prod-db"),
        ("aws-ec2-instance-disallow-root-containers", "prod-node"),
        ("aws-ssm-parameter-configure-secure-string", "prod-api-password"),
    }
    assert all(set(v) == {"policy", "category", "enforcementLevel", "urn", "message"} for v in report["violations"])
    output = capsys.readouterr().out
    assert "MANDATORY aws-rds-database-configure-backup-retention [missing-backups] aws:rds/cluster:Cluster::prod-db" in output


def test_secret_wrapped_values_are_treated_as_secret(tmp_path):
    """The clean export's launch template user data and secret key are ciphertext: present, never scanned."""
    _, report = audit_report(tmp_path, CLEAN_EXPORT)
    assert not [v for v in report["violations"] if v["policy"].startswith(("aws-ec2", "aws-secretsmanager"))]


@pytest.mark.parametrize("document, expected_kind, secret_fields", [
    (CLEAN_EXPORT, "stack-export", {"prod-db": "masterPassword", "prod-api": "kmsKeyId",
                                    "prod-node": "userData"}),
    (PREVIEW, "preview", {"prod-db": "masterPassword"}),
])
def test_secret_wrapped_values_reach_the_rules_as_secrets(document, expected_kind,
                                                          secret_fields):
    kind, resources = resources_from_document(json.loads(document.read_text()))
    assert kind == expected_kind
    inputs = {resource["name"]: normalise(resource["inputs"]) for resource in resources}
    for name, field in secret_fields.items():
        assert inputs[name][field] is SECRET, (name, field)


def test_urns_with_parent_type_chains_are_parsed(tmp_path):
    _, report = audit_report(tmp_path, VIOLATING_EXPORT)
    [retention] = [v for v in report["violations"] if v["policy"] == "aws-rds-database-configure-backup-retention"]
    assert retention["urn"] == "urn:pulumi:prod::chainlink-node-aws::chainlink:index:Database$aws:rds/cluster:Cluster::prod-db"


def test_preview_document_skips_deletes_and_counts_replacements_once(tmp_path):
    code, report = audit_report(tmp_path, PREVIEW)
    assert code == 1
    assert report["kind"] == "preview"
    assert report["resources"] == 5
    assert [(v["policy"], v["enforcementLevel"]) for v in report["violations"]] == [
        ("aws-kms-key-enable-rotation", "mandatory")
    ]


def test_policy_config_can_be_chosen(tmp_path):
    export = json.loads(VIOLATING_EXPORT.read_text())
    for state in export["deployment"]["resources"]:
        if state["type"] == "aws:rds/cluster:Cluster":
            state["inputs"]["storageEncrypted"] = True
            state["inputs"]["deletionProtection"] = False
    document = tmp_path / "export.json"
    document.write_text(json.dumps(export))
    _, prod = audit_report(tmp_path, document)
    _, dev = audit_report(tmp_path, document, "--policy-config", DEV_CONFIG)
    prod_db = {v["policy"]: v["enforcementLevel"] for v in prod["violations"] if v["urn"].endswith("::prod-db")}
    dev_db = {v["policy"]: v["enforcementLevel"] for v in dev["violations"] if v["urn"].endswith("::prod-db")}
    assert prod_db == {"aws-rds-database-configure-backup-retention": "mandatory",
                       "aws-rds-database-enable-deletion-protection": "mandatory"}
    assert dev_db == {"aws-rds-database-enable-deletion-protection": "advisory"}


@pytest.mark.parametrize("content, expected", [
    (None, "cannot read"),
    ("this is not json", "is not JSON"),
    ('{"resources": []}', "neither a `pulumi stack export` (version 3) nor a `pulumi preview --json`"),
    ('{"version": 2, "deployment": {"resources": []}}', "stack export version 2 is not supported"),
    ('{"version": 3, "deployment": {"resources": {}}}', "no `deployment.resources` list"),
    ('{"version": 3, "deployment": {"resources": [{"type": "aws:s3/bucket:Bucket"}]}}', "has no valid URN"),
    ('{"steps": [{"op": "create", "newState": {"urn": "not-a-urn"}}]}', "has no valid URN"),
])
def test_bad_documents_exit_2_with_one_line_and_no_report(tmp_path, capsys, content, expected):
    document = tmp_path / "document.json"
    if content is not None:
        document.write_text(content)
    report = tmp_path / "report.json"
    assert run_audit(document, "--json", report) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and expected in error and error.startswith("error: ")
    assert not report.exists()


def test_bad_policy_config_exits_2(tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_text('{"aws-rds-database-configure-backup-retention": {"minimumRetentionDays": "a week"}}')
    assert run_audit(CLEAN_EXPORT, "--policy-config", config) == 2
    error = capsys.readouterr().err
    assert "minimumRetentionDays must be of type integer" in error and "--policy-config" in error


def test_unwritable_report_exits_2_and_leaves_nothing(tmp_path, capsys):
    report = tmp_path / "missing-dir" / "report.json"
    assert run_audit(CLEAN_EXPORT, "--json", report) == 2
    assert "cannot write " in capsys.readouterr().err
    assert not report.parent.exists()


def test_report_is_replaced_whole_and_no_temporary_file_stays(tmp_path):
    report = tmp_path / "report.json"
    report.write_text("old report")
    run_audit(VIOLATING_EXPORT, "--json", report)
    assert json.loads(report.read_text())["kind"] == "stack-export"
    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]


def test_empty_stack_export_is_zero_resources(tmp_path):
    document = tmp_path / "empty.json"
    document.write_text('{"version": 3, "deployment": {"manifest": {}}}')
    code, report = audit_report(tmp_path, document)
    assert (code, report["resources"], report["violations"]) == (0, 0, [])


@pytest.mark.parametrize("document, code", [(CLEAN_EXPORT, 0), (VIOLATING_EXPORT, 1), (REPO / "absent.json", 2)])
def test_the_command_line_exit_codes(document, code):
    result = subprocess.run([sys.executable, "-m", "ops", "audit", str(document)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
