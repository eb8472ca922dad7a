import pytest

from policy_harness import UNKNOWN, messages, resource, with_config

RULE = "aws-secretsmanager-secret-rotation-configure-schedule"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"


@pytest.mark.parametrize("rules", [
    {"automaticallyAfterDays": 30}, {"scheduleExpression": "rate(90 days)"},
    {"scheduleExpression": "cron(0 10 ? * TUE#1 *)", "duration": "2h"}, UNKNOWN,
])
def test_rotations_within_the_maximum_pass(rules):
    assert messages([resource(ROTATION, {"secretId": "s", "rotationRules": rules})], RULE) == []


@pytest.mark.parametrize("rules, days", [({"automaticallyAfterDays": 365}, 365), ({"scheduleExpression": "rate(120 days)"}, 120)])
def test_rotations_past_the_maximum_are_violations(rules, days):
    assert messages([resource(ROTATION, {"secretId": "s", "rotationRules": rules})], RULE) == [
        f"the secret rotates every {days} days; at most 90 allowed"]


def test_maximum_comes_from_config():
    config = with_config({RULE: {"maximumDays": 20}})
    assert len(messages([resource(ROTATION, {"rotationRules": {"automaticallyAfterDays": 30}})], RULE, config)) == 1
