"""Planned values against CloudFormation's resource schemas and cfn-lint's AWS data."""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import pytest

from tests.constraints.cfn import TWINS, findings, unmapped_types
from tests.constraints.planned import PLAN_LABELS, Planned, plan

# Planned types with nothing for a schema to judge: ids and references only, a secret
# value, or switches the provider types as booleans.
NOTHING_TO_JUDGE = {
    "aws:ec2/internetGateway:InternetGateway": "a VPC reference and tags",
    "aws:ec2/routeTable:RouteTable": "routes of references and CIDRs the VPC tier computes",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "two references",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "empty rule lists (botocore "
                                                         "judges rule descriptions)",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "a role and an AWS managed policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "four booleans",
    "aws:s3/bucketObjectv2:BucketObjectv2": "judged by botocore's S3 model instead",
    "aws:secretsmanager/secretVersion:SecretVersion": "a secret value",
    "aws:devopsguru/notificationChannel:NotificationChannel": "judged by botocore's "
                                                               "DevOps Guru model instead",
    "random:index/randomId:RandomId": "not an AWS resource",
}


@pytest.mark.parametrize("label", PLAN_LABELS)
def test_planned_values_meet_aws_published_constraints(planned, label):
    problems = findings(planned(label))
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("label", PLAN_LABELS)
def test_every_planned_type_is_judged_or_has_nothing_to_judge(planned, label):
    unknown = unmapped_types(planned(label)) - set(NOTHING_TO_JUDGE)
    assert not unknown, f"map these types in tests/constraints/cfn.py TWINS: {sorted(unknown)}"


def test_twins_name_cloudformation_types_cfn_lint_knows():
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    for twin in TWINS.values():
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", twin.cfn_type).schema
        for cfn_path in twin.properties.values():
            top = cfn_path.split(".")[0].removesuffix("[]")
            assert top in schema["properties"], (twin.cfn_type, cfn_path)


# A value AWS would refuse, per resource type: (type, changed inputs, wire path, cfn-lint
# rule or None for any). Before the fixes of issue 10 the first three were the stacks' own.
BROKEN = [
    ("aws:dlm/lifecyclePolicy:LifecyclePolicy",
     {"description": "chainlink node host volumes: daily snapshots"}, "description", "E3031"),
    ("aws:ec2/securityGroup:SecurityGroup",
     {"description": "the node's P2P port"}, "description", "E3031"),
    ("aws:rds/cluster:Cluster", {"engineVersion": "16.6"}, "(resource)", "W3690"),
    ("aws:rds/cluster:Cluster", {"engineVersion": "16.99"}, "engineVersion", "E3690"),
    ("aws:rds/cluster:Cluster", {"clusterIdentifier": "chainlink--dev-"},
     "clusterIdentifier", "E3031"),
    ("aws:rds/clusterInstance:ClusterInstance", {"instanceClass": "db.t4g.huge"},
     "instanceClass", "E3025"),
    ("aws:ec2/launchTemplate:LaunchTemplate", {"instanceType": "t3.colossal"},
     "instanceType", "E3628"),
    ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 45}, "retentionInDays", None),
    ("aws:iam/role:Role", {"name": "x" * 65}, "name", None),
]


@lru_cache(maxsize=None)
def broken_findings() -> tuple[list, list]:
    """One lint over one copy of a planned resource per broken case (named case-N), and
    one over the same resources unchanged: a case passes only if the change is caught."""
    dev = plan("dev")
    intact, broken = [], []
    for index, (resource_type, changes, _, _) in enumerate(BROKEN):
        original = next(r for r in dev.resources if r.type == resource_type)
        intact.append(Planned(original.type, f"case-{index}", original.inputs))
        broken.append(Planned(original.type, f"case-{index}", {**original.inputs, **changes}))
    return (findings(dataclasses.replace(dev, resources=tuple(intact))),
            findings(dataclasses.replace(dev, resources=tuple(broken))))


def test_the_planned_resources_the_broken_cases_start_from_pass():
    intact, _ = broken_findings()
    assert not intact, "\n".join(map(str, intact))


@pytest.mark.parametrize("index", range(len(BROKEN)),
                         ids=[f"{t.split('/')[1]}-{w}" for t, _, w, _ in BROKEN])
def test_a_value_aws_would_refuse_fails_naming_resource_and_input(index):
    resource_type, changes, wire_path, rule = BROKEN[index]
    _, problems = broken_findings()
    mine = [p for p in problems if p.resource == f"{resource_type} case-{index}"]
    assert any(p.wire_path == wire_path and (rule is None or p.rule == rule)
               for p in mine), f"{changes} not caught: {list(map(str, mine))}"
