"""The bootstrap's deployment role against every call a deployment of each stack makes,
and each workload role's own grants against the workload permissions boundary."""

from __future__ import annotations

import json

import pytest
from parliament import expand_action

from tests.constraints.deploy_calls import (ATTACHMENT_CALLS, BUCKET_CALLS, BUCKET_PART_CALLS,
                                            IAM_ROLE_CALLS, INSTANCE_PROFILE_CALLS, OBJECT_CALLS,
                                            REGIONAL_CALLS, ROLE_POLICY_CALLS,
                                            SERVICE_LINKED_ROLE_CALLS, boundary_document, calls,
                                            deploy_role_documents, role_boundary,
                                            workload_grants)
from tests.constraints.iam_eval import evaluate
from tests.constraints.planned import plan

DEPLOY_ROLE = "chainlink-node-deployer"
# Each node stack deploys into the account its bootstrap stack prepared.
NODE_STACKS = {"dev": "bootstrap-dev", "prod": "bootstrap-prod", "prod-optional": "bootstrap-prod"}


def denied_calls(stack_plan, documents) -> list[str]:
    lines = []
    for call in calls(stack_plan):
        decision = evaluate(documents, call.action, call.resource, call.context)
        if not decision.allowed:
            reason = f"denied by {decision.statement}" if decision.statement else "not allowed"
            lines.append(f"{call.action} on {call.resource} ({reason}; {call.planned})")
    return lines


@pytest.mark.parametrize("stack", sorted(NODE_STACKS))
def test_the_deployment_role_allows_every_call_of_a_deployment(planned, stack):
    bootstrap = planned(NODE_STACKS[stack])
    assert planned(stack).account_id == bootstrap.account_id
    denied = denied_calls(planned(stack), deploy_role_documents(bootstrap, DEPLOY_ROLE))
    assert not denied, "\n".join(denied)


@pytest.mark.parametrize("stack", sorted(NODE_STACKS))
def test_workload_roles_are_granted_nothing_their_boundary_takes_away(planned, stack):
    node_plan = planned(stack)
    boundary = boundary_document(planned(NODE_STACKS[stack]))
    outside = [f"{grant.action} on {grant.resource} ({grant.policy})"
               for grant in workload_grants(node_plan)
               if role_boundary(node_plan, grant.role)
               and not evaluate([boundary], grant.action, grant.resource).allowed]
    assert not outside, "\n".join(outside)


@pytest.mark.parametrize("stack", sorted(NODE_STACKS))
def test_every_workload_role_carries_the_boundary(planned, stack):
    boundary_arn = f"arn:aws:iam::{planned(stack).account_id}:policy/ChainlinkWorkloadBoundary"
    for role in planned(stack).of_type("aws:iam/role:Role"):
        assert role.inputs.get("permissionsBoundary") == boundary_arn, role.name


def test_every_action_in_the_call_table_exists_in_aws_s_reference():
    tables = [*REGIONAL_CALLS.values(), IAM_ROLE_CALLS, ROLE_POLICY_CALLS, ATTACHMENT_CALLS,
              INSTANCE_PROFILE_CALLS, SERVICE_LINKED_ROLE_CALLS, BUCKET_CALLS,
              *BUCKET_PART_CALLS.values(), OBJECT_CALLS, ("iam:PassRole",)]
    for actions in tables:
        for action in actions:
            assert expand_action(action, raise_exceptions=False), action


def test_every_planned_type_has_its_calls_listed():
    for label in NODE_STACKS:
        assert calls(plan(label))  # raises KeyError naming any type without calls


def _without(documents, sid: str):
    result = []
    for document in documents:
        copy = json.loads(json.dumps(document))
        copy["Statement"] = [s for s in copy["Statement"] if s.get("Sid") != sid]
        result.append(copy)
    return result


def test_a_role_without_the_auto_scaling_role_statement_is_caught_with_action_and_arn():
    """Issue 10, item 5, as the role was: six calls on the group's service-linked role."""
    documents = _without(deploy_role_documents(plan("bootstrap-prod"), DEPLOY_ROLE),
                         "TheNodeGroupsAutoScalingRole")
    denied = denied_calls(plan("prod"), documents)
    arn = ("arn:aws:iam::222222222222:role/aws-service-role/autoscaling.amazonaws.com/"
           "AWSServiceRoleForAutoScaling_chainlink-prod")
    assert {line.split(" on ")[0] for line in denied} == {
        "iam:GetRole", "iam:TagRole", "iam:ListRoleTags", "iam:UpdateRoleDescription",
        "iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus"}
    assert all(f" on {arn} " in line for line in denied)


def test_a_deny_on_the_workload_prefix_is_caught():
    documents = deploy_role_documents(plan("bootstrap-dev"), DEPLOY_ROLE)
    documents.append({"Statement": [{"Sid": "Broken", "Effect": "Deny", "Action": "iam:TagRole",
                                     "Resource": "arn:aws:iam::*:role/chainlink-*"}]})
    denied = denied_calls(plan("dev"), documents)
    assert denied and all(line.startswith("iam:TagRole on arn:aws:iam::111111111111:role/"
                                          "chainlink-") and "denied by Broken" in line
                          for line in denied)


def test_a_boundary_without_assume_role_is_caught_for_the_stacksets_role():
    boundary = boundary_document(plan("bootstrap-prod"))
    boundary["Statement"] = [s for s in boundary["Statement"]
                             if s.get("Sid") != "BecomeOnlyTheStackSetsExecutionRole"]
    node_plan = plan("prod-optional")
    outside = [grant for grant in workload_grants(node_plan)
               if role_boundary(node_plan, grant.role)
               and not evaluate([boundary], grant.action, grant.resource).allowed]
    assert [(g.action, g.policy) for g in outside] == [
        ("sts:AssumeRole", "chainlink-devops-guru-stackset-administration-policy")]
