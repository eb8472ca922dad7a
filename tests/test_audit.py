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
from tests.conftest import run_ops

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
    ('{"version": 3, "deployment": {"resources": [{"type": "aws:s3/bucket:Bucket"}]}}', "is not a valid URN"),
    ('{"steps": [{"op": "create", "newState": {"urn": "not-a-urn"}}]}', "is not a valid URN"),
    # hostile or damaged documents (issue 16): one line naming the JSON path
    ('{"version": 3, "deployment": {"resources": [{"urn": "%s", "type": ["a", "b"]}]}}' % "urn:pulumi:s::p::aws:s3/bucket:Bucket::b",
     "deployment.resources[0].type is a list, not a str"),
    ('{"version": 3, "deployment": {"resources": [{"urn": "%s", "inputs": [1]}]}}' % "urn:pulumi:s::p::aws:s3/bucket:Bucket::b",
     "deployment.resources[0].inputs is a list, not a dict"),
    ('{"version": 3, "deployment": {"resources": [{"urn": "%s", "propertyDependencies": {"x": 1}}]}}'
     % "urn:pulumi:s::p::aws:s3/bucket:Bucket::b", "deployment.resources[0].propertyDependencies.x is not a list"),
    ('{"version": 3, "deployment": {"resources": [{"urn": "u", "inputs": {"n": %s}}]}}' % ("9" * 5000),
     "$.deployment.resources[0].inputs.n holds the number 999999999999... (5000 digits)"),
    ('{"steps": [{"newState": {"inputs": {"x": NaN}}}]}', "$.steps[0].newState.inputs.x holds the number NaN"),
    ('{"steps": [{"newState": {"inputs": %s}}]}' % ("[" * 300 + "]" * 300), "nests deeper than 100 levels"),
    ('{"steps": %s}' % ("[" * 100_000 + "]" * 100_000), "nests deeper than 100 levels"),
    ('{"stack": "dev", "resources": [{"urn": 3}]}', "resources[0].urn is not a valid URN"),
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
    result = run_ops("audit", str(document), cwd=REPO)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr


def test_audit_accepts_what_ops_preview_json_writes(tmp_path):
    """The contract document of `ops preview --json`; "[secret]" reads as unreadable content."""
    urn = "urn:pulumi:dev::chainlink-node-aws::aws:ssm/parameter:Parameter::"
    document = tmp_path / "preview.json"
    document.write_text(json.dumps({"project": "chainlink-node-aws", "stack": "dev", "outputs": {}, "violations": [], "resources": [
        {"urn": urn + "p1", "type": "aws:ssm/parameter:Parameter", "name": "p1", "parent": None,
         "inputs": {"name": "/x/db-password", "type": "String", "value": "[secret]"}},
        {"urn": urn + "p2", "type": "aws:ssm/parameter:Parameter", "name": "p2", "parent": None,
         "inputs": {"name": "/x/settings", "type": "String", "value": "[secret]"}},
    ]}))
    code, report = audit_report(tmp_path, document)
    assert (code, report["kind"], report["resources"]) == (1, "ops-preview", 2)
    assert [v["urn"] for v in report["violations"]] == [urn + "p1"]
    kind, resources = resources_from_document(json.loads(document.read_text()))
    assert normalise(resources[1]["inputs"])["value"] is SECRET


# --- hostile input, in a child process with hard limits (issue 16) -----------------

LIMITS = """
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB: the unbounded decoders needed 2.8-5.3 GB
resource.setrlimit(resource.RLIMIT_CPU, (20, 20))          # the unbounded decoders ran 300 s
sys.argv = ["ops", "audit", *sys.argv[1:]]
runpy.run_module("ops", run_name="__main__")
"""


def gzip_bomb() -> str:
    import base64
    import zlib
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    return base64.b64encode(b"".join(deflate.compress(zeros) for _ in range(60)) + deflate.flush()).decode()


def billion_laughs() -> str:
    levels = ["a: &a [" + ",".join(["lol"] * 9) + "]"]
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
    return "#cloud-config\n" + "\n".join(levels) + "\nruncmd: [*i]\n"


def b64(text: str) -> str:
    import base64
    return base64.b64encode(text.encode()).decode()


def export_with_user_data(*user_data: str) -> dict:
    urn = "urn:pulumi:prod::chainlink-node-aws::aws:ec2/launchTemplate:LaunchTemplate::"
    return {"version": 3, "deployment": {"resources": [
        {"urn": f"{urn}lt{index}", "type": "aws:ec2/launchTemplate:LaunchTemplate",
         "inputs": {"userData": value, "metadataOptions": {"httpTokens": "required"}}}
        for index, value in enumerate(user_data)
    ]}}


def audit_in_child(tmp_path, document: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(document))
    return subprocess.run([sys.executable, "-c", LIMITS, str(path)], cwd=REPO, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("user_data, reason", [
    (gzip_bomb(), "its gzip data inflates past"),
    (billion_laughs(), "more than 16 YAML aliases"),
    (b64(billion_laughs()), "more than 16 YAML aliases"),
    ("#!/bin/bash\n" + "echo hello world\n" * 20_000, "characters, over the"),
    (b64("#!/bin/bash\n" + "docker run --user 1:1 img\n" * 10_000), "characters, over the"),
    ("#cloud-config\nruncmd: " + "[" * 200 + "]" * 200 + "\n", "nests deeper than 64 levels"),
])
def test_hostile_user_data_is_a_mandatory_violation_within_limits(tmp_path, user_data, reason):
    clean = b64("#!/bin/bash\ndocker run --user 14933:14933 img\n")
    finished = audit_in_child(tmp_path, export_with_user_data(user_data, clean))
    assert finished.returncode == 1, finished.stderr[-500:]
    lines = [line for line in finished.stdout.splitlines() if "cannot be inspected" in line]
    assert lines and all("::lt0:" in line and reason in line and line.startswith("MANDATORY") for line in lines)
    assert "::lt1:" not in finished.stdout  # the run went on and judged the next resource clean
    assert "Traceback" not in finished.stderr


@pytest.mark.parametrize("document, path", [
    ({"steps": [{"newState": {"inputs": {"n": 10 ** 5000}}}]}, "$.steps[0].newState.inputs.n"),
    ({"version": 3, "deployment": {"resources": [{"urn": "urn:pulumi:s::p::a:b:C::n", "type": ["x"]}]}},
     "deployment.resources[0].type"),
])
def test_malformed_documents_exit_2_with_one_line_within_limits(tmp_path, document, path):
    sys.set_int_max_str_digits(0)
    try:
        finished = audit_in_child(tmp_path, document)
    finally:
        sys.set_int_max_str_digits(4300)
    assert finished.returncode == 2 and finished.stdout == ""
    assert finished.stderr.count("\n") == 1 and path in finished.stderr and finished.stderr.startswith("error: ")


def test_a_100k_deep_document_exits_2_within_limits(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"steps": ' + "[" * 100_000 + "]" * 100_000 + "}")
    finished = subprocess.run([sys.executable, "-c", LIMITS, str(path)], cwd=REPO, capture_output=True, text=True,
                              timeout=60)
    assert finished.returncode == 2 and "nests deeper than 100 levels" in finished.stderr
    assert finished.stderr.count("\n") == 1
