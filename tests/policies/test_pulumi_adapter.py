"""The rules under pulumi-policy: its own argument objects, and the pack over gRPC as the CLI runs it."""

import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from policies.rules import ALL_RULES
from policies.rules.pulumi_adapter import build_policies
from policy_harness import PROD_CONFIG, REPO, UNKNOWN, UNKNOWN_BOOL, secret

CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_URN = "urn:pulumi:prod::chainlink-node-aws::chainlink:index:Database$aws:rds/cluster:Cluster::db"
RETENTION_RULE = "aws-rds-database-configure-backup-retention"


def engine_props(wire: dict):
    """Props exactly as the SDK's Analyze hands them to a validation."""
    return unknown_checking_proxy(deserialize_properties(wire))


def options(parent=None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def policy(name: str):
    return next(p for p in build_policies() if p.name == name)


def run_resource_policy(name: str, resource_type: str, wire: dict, config=None) -> list[str]:
    reported: list[str] = []
    args = ResourceValidationArgs(resource_type, engine_props(wire), CLUSTER_URN, "db", options(), None, config)
    policy(name).validate(args, lambda message, urn=None: reported.append(message))
    return reported


def test_every_rule_becomes_a_policy_with_its_metadata():
    policies = build_policies()
    assert [p.name for p in policies] == [rule.name for rule in ALL_RULES]
    for built, rule in zip(policies, ALL_RULES):
        assert built.description == rule.description
        assert built.remediation_steps == rule.remediation
        assert built.tags == [rule.category]
        assert built.enforcement_level.value == rule.enforcement
    stack_rules = {p.name for p in policies if isinstance(p, StackValidationPolicy)}
    assert stack_rules == {"aws-ebs-volume-missing-backup-policy", "aws-s3-bucket-enable-versioning"}
    assert all(isinstance(p, ResourceValidationPolicy) for p in policies if p.name not in stack_rules)


def test_resource_policy_reports_through_validation_args():
    found = run_resource_policy(RETENTION_RULE, CLUSTER, {"backupRetentionPeriod": 3}, {"minimumRetentionDays": 7})
    assert found == ["`backupRetentionPeriod` is 3 day(s); at least 7 required"]


def test_resource_policy_uses_schema_defaults_when_config_is_empty():
    assert run_resource_policy(RETENTION_RULE, CLUSTER, {"backupRetentionPeriod": 3}) == [
        "`backupRetentionPeriod` is 3 day(s); at least 7 required"
    ]


def test_unknown_values_behind_the_sdk_proxy_neither_raise_nor_violate():
    wire = {"backupRetentionPeriod": UNKNOWN, "storageEncrypted": UNKNOWN_BOOL, "deletionProtection": UNKNOWN_BOOL}
    for name in (RETENTION_RULE, "aws-rds-database-enable-storage-encryption", "aws-rds-database-enable-deletion-protection"):
        assert run_resource_policy(name, CLUSTER, wire, {"minimumRetentionDays": 7}) == []


def test_secrets_arrive_unwrapped_under_the_engine_and_still_count():
    assert run_resource_policy("aws-secretsmanager-secret-configure-customer-key", "aws:secretsmanager/secret:Secret",
                               {"kmsKeyId": secret("alias/chainlink")}) == []


def test_stack_policy_reports_the_resource_urn_through_stack_args():
    bucket_urn = "urn:pulumi:prod::chainlink-node-aws::aws:s3/bucket:Bucket::logs"
    versioned_urn = "urn:pulumi:prod::chainlink-node-aws::aws:s3/bucket:Bucket::artifacts"
    bucket = PolicyResource("aws:s3/bucket:Bucket", engine_props({"bucket": "logs-1"}), bucket_urn, "logs",
                            options(), None, None, [], {})
    versioned = PolicyResource("aws:s3/bucket:Bucket", engine_props({"bucket": "artifacts-1"}), versioned_urn,
                               "artifacts", options(), None, None, [], {})
    versioning = PolicyResource(
        "aws:s3/bucketVersioning:BucketVersioning",
        engine_props({"bucket": UNKNOWN, "versioningConfiguration": {"status": "Enabled"}}),
        "urn:pulumi:prod::chainlink-node-aws::aws:s3/bucketVersioning:BucketVersioning::artifacts",
        "artifacts", options(), None, None, [versioned], {"bucket": [versioned]},
    )
    reported: list[tuple] = []
    args = StackValidationArgs([bucket, versioned, versioning], {})
    policy("aws-s3-bucket-enable-versioning").validate(args, lambda message, urn=None: reported.append((urn, message)))
    assert reported == [(bucket_urn, "versioning is not enabled: no BucketVersioning with status Enabled names this bucket")]


# --- the pack as a process, spoken to over gRPC like the Pulumi CLI does ----------

@pytest.fixture(scope="module")
def analyzer():
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(REPO / "policies")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def configure_like_the_cli(stub, config) -> None:
    """Send the resolved policy config, as `pulumi preview --policy-pack-config` does."""
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, settings in config.settings.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = analyzer_pb2.MANDATORY if settings.enforcement == "mandatory" else analyzer_pb2.ADVISORY
        entry.properties.update(dict(settings.properties))
    stub.Configure(request)


def struct(values: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def test_pack_describes_its_policies(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "chainlink-node-aws"
    assert [p.name for p in info.policies] == [rule.name for rule in ALL_RULES]


def test_pack_analyzes_a_resource_with_unknowns(analyzer):
    configure_like_the_cli(analyzer, PROD_CONFIG)
    request = analyzer_pb2.AnalyzeRequest(
        type=CLUSTER, urn=CLUSTER_URN, name="db",
        properties=struct({"storageEncrypted": False, "backupRetentionPeriod": UNKNOWN, "deletionProtection": True}),
    )
    diagnostics = analyzer.Analyze(request).diagnostics
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("aws-rds-database-enable-storage-encryption", analyzer_pb2.MANDATORY)
    ]


def test_pack_analyzes_the_stack(analyzer):
    configure_like_the_cli(analyzer, PROD_CONFIG)
    volume_urn = "urn:pulumi:prod::chainlink-node-aws::aws:ebs/volume:Volume::data"
    volume = analyzer_pb2.AnalyzerResource(
        type="aws:ebs/volume:Volume", urn=volume_urn, name="data",
        properties=struct({"encrypted": True, "tags": {"Name": "data"}}),
    )
    diagnostics = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[volume])).diagnostics
    assert [(d.policyName, d.urn) for d in diagnostics] == [("aws-ebs-volume-missing-backup-policy", volume_urn)]


def test_numbers_in_config_arrive_as_floats_and_still_read_well(analyzer):
    configure_like_the_cli(analyzer, PROD_CONFIG)
    request = analyzer_pb2.AnalyzeRequest(
        type=CLUSTER, urn=CLUSTER_URN, name="db",
        properties=struct({"storageEncrypted": True, "backupRetentionPeriod": 3, "deletionProtection": True}),
    )
    [diagnostic] = analyzer.Analyze(request).diagnostics
    assert diagnostic.message.endswith("`backupRetentionPeriod` is 3 day(s); at least 7 required")


def test_inputs_nested_past_the_limit_are_a_violation_under_the_engine_not_a_crash():
    deep: dict = {}
    for _ in range(150):
        deep = {"x": deep}
    found = run_resource_policy(RETENTION_RULE, CLUSTER, {"backupRetentionPeriod": 7, "tags": deep})
    assert len(found) == 1 and found[0].startswith("inputs cannot be inspected: inputs: $.tags.x")


def test_secrets_reach_rules_unwrapped_under_the_engine_as_offline():
    """The SDK unwraps secrets; offline normalise does the same, so one verdict everywhere."""
    from policies.engine import evaluate
    wire = {"name": "/chainlink/prod/node-settings", "type": "String",
            "value": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "info"}}
    offline = [v["message"] for v in evaluate([{"urn": CLUSTER_URN, "type": "aws:ssm/parameter:Parameter",
                                                  "name": "p", "inputs": wire}])
               if v["policy"] == "aws-ssm-parameter-configure-secure-string"]
    assert run_resource_policy("aws-ssm-parameter-configure-secure-string", "aws:ssm/parameter:Parameter", wire) == offline == []
