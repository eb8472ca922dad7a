"""DevOps Guru tier: its own key and topic, the resource boundary, least-privilege roles."""

from __future__ import annotations

import json

import pytest

from components.devops_guru import (ADMINISTRATION_ROLE_NAME, BOUNDARY_TAG_KEY,
                                    EXECUTION_ROLE_NAME)
from ops.lib.stackfile import read_stack_file
from tests.conftest import inputs_of

PROD_ACCOUNT = "222222222222"
GURU = "chainlink-devops-guru"


def guru_resources(run) -> dict[str, dict]:
    return {r.name: inputs_of(r) for r in run.resources if r.name.startswith(GURU)}


def statements(policy_json: str) -> list[dict]:
    return json.loads(policy_json)["Statement"]


def actions_of(policy_json: str) -> set[str]:
    found = set()
    for statement in statements(policy_json):
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def test_off_by_default_and_in_dev(stack_run):
    assert guru_resources(stack_run("dev")) == {}
    assert guru_resources(stack_run("prod", devOpsGuruEnabled="false")) == {}


def test_insights_go_to_their_own_topic_on_their_own_rotating_key(stack_run):
    run = stack_run("prod")
    resources = guru_resources(run)
    key = resources[f"{GURU}-key"]
    assert key["enableKeyRotation"] is True
    (guru_key,) = [k for k in run.of_type("aws:kms/key:Key") if k.name == f"{GURU}-key"]
    assert guru_key.protect is True
    topic = resources[f"{GURU}-insights"]
    (telemetry_group,) = [g for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")
                          if g.name == "chainlink-node"]
    assert topic["kmsMasterKeyId"].startswith(f"arn:aws:kms:us-east-1:{PROD_ACCOUNT}:key/")
    assert topic["kmsMasterKeyId"] != inputs_of(telemetry_group)["kmsKeyId"]
    channel = resources[f"{GURU}-channel"]
    assert channel["sns"]["topicArn"].startswith(f"arn:aws:sns:us-east-1:{PROD_ACCOUNT}:"
                                                 f"{GURU}-insights-")
    assert set(channel["filters"]["severities"]) == {"MEDIUM", "HIGH"}
    email = resources[f"{GURU}-insights-email"]
    assert (email["protocol"], email["endpoint"]) == ("email", "chainlink-oncall@example.com")


def test_only_devops_guru_of_this_account_may_use_the_key_and_publish(stack_run):
    resources = guru_resources(stack_run("prod"))
    (admin, guru) = statements(resources[f"{GURU}-key"]["policy"])
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{PROD_ACCOUNT}:root"}
    assert "devops-guru.amazonaws.com" in guru["Principal"]["Service"]
    assert set(guru["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    assert guru["Condition"] == {"StringEquals": {"aws:SourceAccount": PROD_ACCOUNT}}
    (publish,) = statements(resources[f"{GURU}-insights-policy"]["policy"])
    assert publish["Action"] == "sns:Publish"
    assert publish["Resource"] == resources[f"{GURU}-channel"]["sns"]["topicArn"]
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": PROD_ACCOUNT}
    assert publish["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:devops-guru:us-east-1:{PROD_ACCOUNT}:channel/*")


def test_the_boundary_is_the_stacks_default_tag(stack_run):
    collection = guru_resources(stack_run("prod"))[f"{GURU}-resources"]
    assert collection["type"] == "AWS_TAGS"
    tags = collection["tags"]
    assert tags["appBoundaryKey"] == BOUNDARY_TAG_KEY
    assert BOUNDARY_TAG_KEY.lower().startswith("devops-guru-")
    for stack in ("dev", "prod"):
        default_tags = json.loads(read_stack_file(stack).config["aws:defaultTags"])["tags"]
        assert default_tags[BOUNDARY_TAG_KEY] == stack
    assert tags["tagValues"] == ["prod"]


def test_the_stackset_roles_have_least_privilege(stack_run):
    resources = guru_resources(stack_run("prod"))
    administration = resources[f"{GURU}-stackset-administration"]
    execution = resources[f"{GURU}-stackset-execution"]
    assert (administration["name"], execution["name"]) == (ADMINISTRATION_ROLE_NAME,
                                                           EXECUTION_ROLE_NAME)
    for role in (administration, execution):
        assert "managedPolicyArns" not in role

    (trust,) = statements(administration["assumeRolePolicy"])
    assert trust["Principal"] == {"Service": "cloudformation.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": PROD_ACCOUNT}}
    (assume,) = statements(resources[f"{GURU}-stackset-administration-policy"]["policy"])
    assert assume["Action"] == ["sts:AssumeRole"]
    assert assume["Resource"] == f"arn:aws:iam::*:role/{EXECUTION_ROLE_NAME}"

    (trust,) = statements(execution["assumeRolePolicy"])
    assert trust["Condition"] == {"ArnEquals": {
        "aws:PrincipalArn": f"arn:aws:iam::{PROD_ACCOUNT}:role/{ADMINISTRATION_ROLE_NAME}"}}
    policy = resources[f"{GURU}-stackset-execution-policy"]["policy"]
    actions = actions_of(policy)
    assert not any(action == "*" or action.endswith(":*") for action in actions)
    assert {action.split(":")[0] for action in actions} == {
        "cloudformation", "devops-guru", "sns", "kms", "iam"}
    assert [a for a in actions if a.startswith("iam:")] == ["iam:CreateServiceLinkedRole"]
    for statement in statements(policy):
        # DevOps Guru's actions and sns:Unsubscribe have no resource type to scope.
        if statement["Sid"] not in ("ConfigureDevOpsGuru", "RemoveStackSetTopicSubscriptions"):
            assert f":{PROD_ACCOUNT}:" in statement["Resource"], statement["Sid"]


def test_a_separate_administrator_account_gets_only_the_execution_role(stack_run):
    administrator = "333333333333"
    resources = guru_resources(stack_run("prod", devOpsGuruAdministratorAccountId=administrator))
    assert f"{GURU}-stackset-administration" not in resources
    (trust,) = statements(resources[f"{GURU}-stackset-execution"]["assumeRolePolicy"])
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{administrator}:root"}
    assert trust["Condition"]["ArnEquals"]["aws:PrincipalArn"] == (
        f"arn:aws:iam::{administrator}:role/{ADMINISTRATION_ROLE_NAME}")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_dev_can_turn_it_on_too(stack_run, stack):
    resources = guru_resources(stack_run(stack, devOpsGuruEnabled="true"))
    assert resources[f"{GURU}-resources"]["tags"]["tagValues"] == [stack]
