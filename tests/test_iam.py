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


def test_without_a_boundary_or_a_bootstrap_stack_roles_have_none(stack_run):
    run = stack_run("prod", iamPermissionsBoundaryArn=None, bootstrapStack="")
    assert [inputs_of(role).get("permissionsBoundary") for role in run.of_type(ROLE)] == \
        [None] * len(run.of_type(ROLE))


def test_an_explicit_boundary_wins_over_the_bootstrap_stack(stack_run):
    arn = "arn:aws:iam::222222222222:policy/SomeOtherBoundary"
    run = stack_run("prod", iamPermissionsBoundaryArn=arn)
    assert {inputs_of(role).get("permissionsBoundary") for role in run.of_type(ROLE)} == {arn}


@pytest.mark.parametrize("name", ["a b", "org/proj/stack/extra", "../prod"])
def test_a_bootstrap_stack_that_is_not_a_stack_name_is_refused(name):
    from stack_config import ConfigError, parse_stack_config
    from ops.lib.stackfile import read_stack_file
    raw = {key.split(":", 1)[1]: value for key, value in read_stack_file("dev").config.items()
           if key.startswith("chainlink-node-aws:")}
    with pytest.raises(ConfigError, match="bootstrapStack"):
        parse_stack_config({**raw, "bootstrapStack": name}, "dev",
                           {k for k in raw if k.endswith(("Password", "Url"))})
