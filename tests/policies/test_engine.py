import importlib
import json
import pkgutil
import re

import pytest

from policies.engine import (
    SECRET_PLACEHOLDER,
    default_policy_config,
    evaluate,
    format_report,
    has_mandatory,
    load_policy_config,
    mask_secrets,
    parse_urn,
)
from policies.rules import ALL_RULES, CATEGORIES, ResourceRule, StackRule
from policy_harness import (
    DEV_CONFIG,
    PROD_CONFIG,
    REPO,
    UNKNOWN,
    b64,
    encrypted_secret,
    node_host_cloud_config,
    resource,
    secret,
    violations,
    with_config,
)

NAME_STYLE = re.compile(r"^aws-[a-z0-9]+(-[a-z0-9]+)*-(enable|configure|disallow|missing)-[a-z0-9-]+$")
FAMILIES = ("root_execution", "unencrypted_secrets", "missing_backups", "other")


# --- the rule set ------------------------------------------------------------------

def test_every_rule_module_is_registered_once():
    modules = [
        importlib.import_module(f"policies.rules.{family}.{info.name}")
        for family in FAMILIES
        for info in pkgutil.iter_modules([str(REPO / "policies" / "rules" / family)])
    ]
    assert sorted(module.RULE.name for module in modules) == sorted(rule.name for rule in ALL_RULES)
    assert len({rule.name for rule in ALL_RULES}) == len(ALL_RULES)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.name)
def test_every_rule_is_named_described_and_categorised(rule):
    assert NAME_STYLE.match(rule.name)
    assert rule.category in CATEGORIES
    assert rule.description and rule.remediation
    assert isinstance(rule, (ResourceRule, StackRule))
    assert all("default" in spec and "description" in spec for spec in rule.config_schema.values())


def rule_modules():
    for family in FAMILIES:
        for info in pkgutil.iter_modules([str(REPO / "policies" / "rules" / family)]):
            yield family, info.name, importlib.import_module(f"policies.rules.{family}.{info.name}").RULE


@pytest.mark.parametrize("family, module, rule", list(rule_modules()), ids=lambda x: getattr(x, "name", x))
def test_folder_and_category_agree(family, module, rule):
    assert rule.category.replace("-", "_") == family


@pytest.mark.parametrize("family, module, rule", list(rule_modules()), ids=lambda x: getattr(x, "name", x))
def test_every_rule_has_its_own_test_file(family, module, rule):
    test_file = REPO / "tests" / "policies" / family / f"test_{module}.py"
    assert test_file.is_file(), f"add {test_file.relative_to(REPO)}"
    assert rule.name in test_file.read_text(), f"{test_file.name} does not test {rule.name}"


def test_a_misfiled_rule_is_refused(tmp_path, monkeypatch):
    import policies.rules as rules
    from policies.rules.model import ResourceRule as Model
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "stray.py").write_text("")
    stray = Model(name="aws-x-enable-y", category="root-execution", description="d", remediation="r",
                  resource_types=frozenset(), check=lambda r, c: [])
    monkeypatch.setattr(rules.importlib, "import_module", lambda *_: type("M", (), {"RULE": stray}))
    monkeypatch.setattr(rules, "__file__", str(tmp_path / "__init__.py"))
    with pytest.raises(ValueError, match="in other/ says category 'root-execution'"):
        rules._discover()



def test_a_rule_takes_its_category_from_its_folder(tmp_path, monkeypatch):
    import policies.rules as rules
    from policies.rules.model import ResourceRule as Model
    folder = tmp_path / "missing_backups"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "unspelt.py").write_text("")
    module = type("M", (), {"RULE": Model(name="aws-x-enable-y", description="d", remediation="r",
                                          resource_types=frozenset(), check=lambda r, c: [])})
    monkeypatch.setattr(rules.importlib, "import_module", lambda *_: module)
    monkeypatch.setattr(rules, "__file__", str(tmp_path / "__init__.py"))
    assert [rule.category for rule in rules._discover()] == ["missing-backups"]
    assert module.RULE.category == "missing-backups"  # importers of the module see it too

def test_each_family_has_rules():
    assert {rule.category for rule in ALL_RULES} == set(CATEGORIES)


# --- config files ------------------------------------------------------------------

def test_prod_makes_every_family_mandatory_with_seven_days():
    assert {settings.enforcement for settings in PROD_CONFIG.settings.values()} == {"mandatory"}
    assert PROD_CONFIG.settings["aws-rds-database-configure-backup-retention"].properties["minimumRetentionDays"] == 7


def test_dev_keeps_security_mandatory_and_relaxes_backups():
    by_category: dict[str, set] = {}
    for rule in ALL_RULES:
        by_category.setdefault(rule.category, set()).add(DEV_CONFIG.for_rule(rule).enforcement)
    assert by_category["root-execution"] == {"mandatory"}
    assert by_category["unencrypted-secrets"] == {"mandatory"}
    assert DEV_CONFIG.settings["aws-rds-database-enable-deletion-protection"].enforcement == "advisory"
    assert DEV_CONFIG.settings["aws-rds-database-configure-backup-retention"].properties["minimumRetentionDays"] == 1


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_config_files_are_in_the_pulumi_cli_format(stack):
    data = json.loads((REPO / "policies" / "config" / f"{stack}.json").read_text())
    assert data["all"] == "mandatory"
    for entry in data.values():
        level = entry.get("enforcementLevel", "mandatory") if isinstance(entry, dict) else entry
        assert level in ("advisory", "mandatory", "disabled")


@pytest.mark.parametrize("content, expected", [
    ("{not json", "is not valid JSON"),
    ("[]", "must be a JSON object"),
    ('{"all": "strict"}', "all has enforcement level 'strict'; use one of advisory, mandatory"),
    ('{"aws-rds-database-configure-backup-retenton": {}}', "did you mean 'aws-rds-database-configure-backup-retention'"),
    ('{"aws-rds-database-configure-backup-retention": {"minimumRetentionDays": "seven"}}', "must be of type integer"),
    ('{"aws-rds-database-configure-backup-retention": {"minimumRetentionDays": 0}}', "must be within 1..35"),
    ('{"aws-rds-database-configure-backup-retention": {"minimumDays": 7}}', "unknown property 'minimumDays'"),
    ('{"aws-ssm-parameter-configure-secure-string": {"secretNamePatterns": ["(unclosed"]}}', "not a valid regular expression"),
    ('{"aws-kms-key-enable-rotation": 3}', "must be an enforcement level or an object"),
    ('{"aws-kms-key-enable-rotation": null}', "must be an enforcement level or an object"),
])
def test_bad_config_files_fail_with_one_clear_line(tmp_path, content, expected):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError) as problem:
        load_policy_config(path)
    assert expected in str(problem.value) and "\n" not in str(problem.value)


def test_missing_config_file_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="cannot read policy config"):
        load_policy_config(tmp_path / "absent.json")


# --- evaluate ----------------------------------------------------------------------

UNENCRYPTED_CLUSTER = resource("aws:rds/cluster:Cluster", {"storageEncrypted": False, "backupRetentionPeriod": 7,
                                                            "deletionProtection": True})


def test_violation_has_exactly_the_contract_keys():
    [violation] = evaluate([UNENCRYPTED_CLUSTER], PROD_CONFIG)
    assert violation == {
        "policy": "aws-rds-database-enable-storage-encryption",
        "category": "unencrypted-secrets",
        "enforcementLevel": "mandatory",
        "urn": UNENCRYPTED_CLUSTER["urn"],
        "message": "`storageEncrypted` is false: the cluster's storage, backups and snapshots are unencrypted",
    }
    assert has_mandatory([violation])


def test_disabled_policies_do_not_run_and_remediate_reports_as_mandatory():
    disabled = with_config({"aws-rds-database-enable-storage-encryption": "disabled"})
    remediate = with_config({"aws-rds-database-enable-storage-encryption": {"enforcementLevel": "remediate"}})
    assert evaluate([UNENCRYPTED_CLUSTER], disabled) == []
    assert [v["enforcementLevel"] for v in evaluate([UNENCRYPTED_CLUSTER], remediate)] == ["mandatory"]


def test_advisory_only_is_not_mandatory():
    advisory = with_config({"all": "advisory"})
    found = evaluate([UNENCRYPTED_CLUSTER], advisory)
    assert found and not has_mandatory(found)


def test_components_and_unknown_types_are_ignored():
    component = resource("chainlink:index:Database", {"storageEncrypted": False}, name="db")
    stack = resource("pulumi:pulumi:Stack", {}, name="chainlink-node-aws-dev")
    assert evaluate([component, stack], PROD_CONFIG) == []


def test_type_and_name_are_taken_from_the_urn_when_missing():
    urn = "urn:pulumi:prod::chainlink-node-aws::chainlink:index:Database$aws:rds/cluster:Cluster::db"
    found = evaluate([{"urn": urn, "inputs": {"storageEncrypted": False}}], PROD_CONFIG)
    assert {v["policy"] for v in found} >= {"aws-rds-database-enable-storage-encryption"}


def test_secret_values_are_opaque_and_unknowns_are_never_violations():
    cluster = resource("aws:rds/cluster:Cluster", {
        "storageEncrypted": secret(True), "backupRetentionPeriod": encrypted_secret(),
        "deletionProtection": UNKNOWN, "skipFinalSnapshot": UNKNOWN,
    })
    assert evaluate([cluster], PROD_CONFIG) == []


def test_default_config_is_the_rules_own_defaults():
    config = default_policy_config()
    assert config.settings["aws-rds-database-configure-backup-retention"].properties["minimumRetentionDays"] == 7
    assert config.settings["aws-ec2-instance-configure-imdsv2"].enforcement == "advisory"


def test_parse_urn_handles_parent_type_chains():
    urn = "urn:pulumi:prod::chainlink-node-aws::chainlink:index:Network$aws:ec2/vpc:Vpc::prod-vpc"
    assert parse_urn(urn) == ("aws:ec2/vpc:Vpc", "prod-vpc")
    assert parse_urn("urn:pulumi:s::p::a:b:C$d:e:F$aws:s3/bucket:Bucket::name::with::colons") == (
        "aws:s3/bucket:Bucket", "name::with::colons")
    with pytest.raises(ValueError):
        parse_urn("arn:aws:s3:::bucket")


def test_mask_secrets_replaces_every_secret_form():
    inputs = {"a": secret("x"), "b": [encrypted_secret(), "plain"], "c": {"d": UNKNOWN}}
    assert mask_secrets(inputs) == {"a": SECRET_PLACEHOLDER, "b": [SECRET_PLACEHOLDER, "plain"], "c": {"d": UNKNOWN}}


def test_report_lists_mandatory_first_and_summarises():
    instance = resource("aws:ec2/instance:Instance", {"rootBlockDevice": {"encrypted": True}})
    found = evaluate([UNENCRYPTED_CLUSTER, instance], DEV_CONFIG)
    lines = format_report(found).splitlines()
    assert lines[0].startswith("MANDATORY aws-rds-database-enable-storage-encryption [unencrypted-secrets] "
                               "aws:rds/cluster:Cluster::r: ")
    assert lines[-1] == "Policies blocked: 1 mandatory, 1 advisory violation(s)."
    assert format_report([]) == "Policies passed: 0 mandatory, 0 advisory violation(s)."


# --- a stack shaped like ours ------------------------------------------------------

def our_stack(stack: str) -> list[dict]:
    """The resources our program declares, in wire form, as the brief to the main branch describes them."""
    prod = stack == "prod"
    key_arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    volume_tags = {"chainlink:backup": "node", "Name": f"{stack}-node"}
    node = ("chainlink:index:ChainlinkNode",)
    return [
        resource("chainlink:index:Secrets", {}, name="secrets"),
        resource("aws:kms/key:Key", {"enableKeyRotation": True, "deletionWindowInDays": 30}, "key", ("chainlink:index:Secrets",)),
        resource("aws:secretsmanager/secret:Secret", {"kmsKeyId": key_arn, "recoveryWindowInDays": 30}, "api"),
        resource("aws:secretsmanager/secretVersion:SecretVersion", {"secretString": secret('{"password": "x"}')}, "api-v"),
        resource("aws:rds/cluster:Cluster", {
            "engine": "aurora-postgresql", "engineVersion": "16.4", "storageEncrypted": True, "kmsKeyId": key_arn,
            "backupRetentionPeriod": 7 if prod else 1, "deletionProtection": prod, "skipFinalSnapshot": False,
            "finalSnapshotIdentifier": f"{stack}-final", "masterPassword": secret("y" * 20),
        }, "db", ("chainlink:index:Database",)),
        resource("aws:rds/clusterInstance:ClusterInstance", {"clusterIdentifier": "db", "publiclyAccessible": False}, "db-1"),
        resource("aws:ec2/launchTemplate:LaunchTemplate", {
            "userData": b64(node_host_cloud_config()),
            "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
                "encrypted": "true", "kmsKeyId": key_arn, "volumeType": "gp3", "volumeSize": 30}}],
            "tagSpecifications": [{"resourceType": "volume", "tags": volume_tags}],
        }, "node-lt", node),
        resource("aws:autoscaling/group:Group", {"minSize": 2, "maxSize": 2}, "node-asg", node),
        resource("aws:dlm/lifecyclePolicy:LifecyclePolicy", {"policyDetails": {
            "resourceTypes": ["VOLUME"], "targetTags": {"chainlink:backup": "node"}}}, "node-dlm"),
        resource("aws:cloudwatch/logGroup:LogGroup", {"kmsKeyId": key_arn, "retentionInDays": 30}, "node-logs"),
        resource("aws:sns/topic:Topic", {"kmsMasterKeyId": key_arn}, "alarms"),
        resource("aws:lb/listener:Listener", {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, "https"),
        resource("aws:lb/listener:Listener", {"protocol": "HTTP", "defaultActions": [{"type": "redirect"}]}, "http"),
        resource("aws:ec2/securityGroup:SecurityGroup", {"ingress": [
            {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]}, "alb-sg"),
        resource("aws:ssm/parameter:Parameter", {"name": f"/chainlink/{stack}/log-level", "type": "String", "value": "info"}, "log-level"),
    ]


def test_our_prod_stack_has_no_violation():
    assert violations(our_stack("prod"), PROD_CONFIG) == []


def test_our_dev_stack_has_only_the_deletion_protection_advisory():
    found = violations(our_stack("dev"), DEV_CONFIG)
    assert [(v["policy"], v["enforcementLevel"]) for v in found] == [
        ("aws-rds-database-enable-deletion-protection", "advisory")
    ]


def test_switching_off_encryption_in_our_stack_is_caught():
    stack = our_stack("prod")
    stack[4]["inputs"]["storageEncrypted"] = False
    found = violations(stack, PROD_CONFIG)
    assert [v["policy"] for v in found] == ["aws-rds-database-enable-storage-encryption"]



def test_readme_documents_every_rule_and_config_key():
    readme = (REPO / "policies" / "README.md").read_text()
    for rule in ALL_RULES:
        assert f"`{rule.name}`" in readme
        for key in rule.config_schema:
            assert f"`{key}`" in readme, key


def test_normalise_unwraps_secrets_whose_plaintext_is_on_hand_as_the_engine_does():
    from policies.rules.common.values import SECRET, UNKNOWN as UNKNOWN_MARKER, normalise
    show_secrets = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                    "plaintext": '{"a": [1, "04da6b54-80e4-46f7-96ec-b56ff0331ba9"]}'}
    assert normalise({"mock": secret("x"), "export": show_secrets, "cipher": encrypted_secret()}) == {
        "mock": "x", "export": {"a": [1, UNKNOWN_MARKER]}, "cipher": SECRET}
