"""The small IAM evaluator the deployment-role check stands on."""

from __future__ import annotations

import pytest

from tests.constraints.iam_eval import (ALLOW, DENY, IMPLICIT_DENY, evaluate,
                                        evaluate_with_boundary)

ARN = "arn:aws:iam::123456789012:role/chainlink-node"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**fields):
    return {"Effect": "Allow", **fields}


def test_no_statement_is_an_implicit_deny():
    assert evaluate([doc()], "iam:GetRole", ARN).verdict == IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow():
    policies = [doc(allow(Sid="A", Action="iam:*", Resource="*")),
                doc({"Sid": "D", "Effect": "Deny", "Action": "iam:Delete*", "Resource": ARN})]
    assert evaluate(policies, "iam:DeleteRole", ARN).verdict == DENY
    assert evaluate(policies, "iam:GetRole", ARN).verdict == ALLOW


def test_actions_match_without_case_and_resources_with_case():
    policy = [doc(allow(Action="IAM:getrole", Resource="arn:aws:iam::*:role/chainlink-*"))]
    assert evaluate(policy, "iam:GetRole", ARN).allowed
    assert not evaluate(policy, "iam:GetRole", ARN.replace("chainlink", "Chainlink")).allowed


def test_question_mark_matches_one_character():
    policy = [doc(allow(Action="iam:GetRole", Resource="arn:aws:iam::?23456789012:role/*"))]
    assert evaluate(policy, "iam:GetRole", ARN).allowed
    assert not evaluate(policy, "iam:GetRole", ARN.replace("123", "0123")).allowed


def test_not_action_and_not_resource():
    policy = [doc(allow(NotAction="iam:*", NotResource="arn:aws:s3:::secret/*"))]
    assert evaluate(policy, "s3:GetObject", "arn:aws:s3:::public/x").allowed
    assert not evaluate(policy, "s3:GetObject", "arn:aws:s3:::secret/x").allowed
    assert not evaluate(policy, "iam:GetRole", ARN).allowed


@pytest.mark.parametrize("condition, context, allowed", [
    ({"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com"]}},
     {"iam:PassedToService": "ec2.amazonaws.com"}, True),
    ({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
     {"iam:PassedToService": "lambda.amazonaws.com"}, False),
    ({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, {}, False),
    ({"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}, {}, True),
    ({"StringLike": {"aws:RequestedRegion": "us-*"}}, {"aws:RequestedRegion": "us-east-1"}, True),
    ({"ArnEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/B"}},
     {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/B"}, True),
    ({"ArnEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/B"}}, {}, False),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*"}}, {"aws:SourceArn": "arn:aws:s3:::b"}, False),
    ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": False}, True),
    ({"StringEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}, {}, True),
    ({"StringEquals": {"aws:RequestedRegion": "us-east-1"},
      "StringLike": {"iam:PassedToService": "ec2.*"}},
     {"aws:RequestedRegion": "us-east-1", "iam:PassedToService": "rds.amazonaws.com"}, False),
])
def test_conditions(condition, context, allowed):
    policy = [doc(allow(Action="iam:PassRole", Resource="*", Condition=condition))]
    assert evaluate(policy, "iam:PassRole", ARN, context).allowed is allowed


def test_condition_keys_are_case_insensitive():
    policy = [doc(allow(Action="*", Resource="*",
                        Condition={"StringEquals": {"AWS:RequestedRegion": "us-east-1"}}))]
    assert evaluate(policy, "ec2:RunInstances", "*", {"aws:requestedregion": "us-east-1"}).allowed


def test_an_operator_it_does_not_know_is_an_error_not_an_allow():
    policy = [doc(allow(Action="*", Resource="*",
                        Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}))]
    with pytest.raises(ValueError, match="NumericLessThan"):
        evaluate(policy, "iam:GetRole", ARN)


def test_a_boundary_caps_what_the_policies_allow():
    policies = [doc(allow(Action=["s3:GetObject", "iam:CreateUser"], Resource="*"))]
    boundary = doc(allow(Action="s3:*", Resource="*"))
    assert evaluate_with_boundary(policies, boundary, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    capped = evaluate_with_boundary(policies, boundary, "iam:CreateUser", "*")
    assert not capped.allowed and capped.statement.startswith("boundary")
    assert not evaluate_with_boundary([doc()], boundary, "s3:GetObject", "*").allowed
