"""Planned values against botocore's service models, where CloudFormation has no rule."""

from __future__ import annotations

import dataclasses

import pytest

from tests.constraints.api_models import (MEMBERS, RULE_DESCRIPTION_SHAPES,
                                          documented_description_rule, member_shape, problems)
from tests.constraints.planned import PLAN_LABELS, Planned


@pytest.mark.parametrize("label", PLAN_LABELS)
def test_planned_values_meet_the_aws_api_models(planned, label):
    found = problems(planned(label))
    assert not found, "\n".join(map(str, found))


def test_every_mapped_member_exists_in_botocore():
    for member in MEMBERS.values():
        assert member_shape(member) is not None


@pytest.mark.parametrize("shape", sorted(set(RULE_DESCRIPTION_SHAPES.values())))
def test_the_ec2_documentation_still_states_the_rule_description_characters(shape):
    allowed, length = documented_description_rule(shape)
    assert set("azAZ09 ._-") <= allowed and length == 255


def _with(resource: Planned, **inputs) -> Planned:
    return Planned(resource.type, resource.name, {**resource.inputs, **inputs})


def _one(planned, resource_type: str, name: str | None = None) -> Planned:
    plan = planned("dev")
    return next(r for r in plan.resources
                if r.type == resource_type and (name is None or r.name == name))


@pytest.mark.parametrize("build, wire_path, words", [
    # Issue 10, item 2: the web security group's egress rule as it was.
    (lambda p: _with(_one(p, "aws:ec2/securityGroup:SecurityGroup", "chainlink-web-sg"),
                     egress=[{"protocol": "tcp", "fromPort": 6688, "toPort": 6688,
                              "cidrBlocks": ["10.0.0.0/16"],
                              "description": "the node hosts' web server"}]),
     "egress[0].description", "\"'\" are not allowed"),
    (lambda p: _with(_one(p, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
                     description="database <- nodes"),
     "description", "'<' are not allowed"),
    (lambda p: _with(_one(p, "aws:s3/bucketObjectv2:BucketObjectv2"),
                     serverSideEncryption="kms"), "serverSideEncryption", "not one of"),
    (lambda p: _with(_one(p, "aws:iam/serviceLinkedRole:ServiceLinkedRole"),
                     customSuffix="chainlink dev"), "customSuffix", "does not match"),
    (lambda p: _with(_one(p, "aws:iam/serviceLinkedRole:ServiceLinkedRole"),
                     description="node hosts \u2192 data key"), "description", "does not match"),
])
def test_a_value_the_api_would_refuse_fails_naming_input(planned, build, wire_path, words):
    resource = build(planned)
    broken = dataclasses.replace(planned("dev"), resources=(resource,))
    found = problems(broken)
    assert any(p.wire_path == wire_path and words in p.message for p in found), \
        list(map(str, found))
