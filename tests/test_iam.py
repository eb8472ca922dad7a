"""Every IAM role the program creates carries the configured permissions boundary."""

from __future__ import annotations

import pytest

from tests.conftest import inputs_of

ROLE = "aws:iam/role:Role"
BOUNDARY = {"dev": "arn:aws:iam::111111111111:policy/ChainlinkWorkloadBoundary",
            "prod": "arn:aws:iam::222222222222:policy/ChainlinkWorkloadBoundary"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_role_of_every_tier_carries_the_boundary(stack_run, stack):
    roles = {role.name: inputs_of(role) for role in stack_run(stack).of_type(ROLE)}
    # flow logs, node hosts and volume backups always; bastion in dev, DevOps Guru in prod
    assert {"chainlink-flow-logs-role", "chainlink-node-role", "chainlink-dlm-role"} <= set(roles)
    assert {name: inputs.get("permissionsBoundary") for name, inputs in roles.items()} == {
        name: BOUNDARY[stack] for name in roles}


def test_without_a_boundary_configured_roles_have_none(stack_run):
    run = stack_run("prod", iamPermissionsBoundaryArn=None)
    assert [inputs_of(role).get("permissionsBoundary") for role in run.of_type(ROLE)] == \
        [None] * len(run.of_type(ROLE))
