import pytest

from policy_harness import UNKNOWN, messages, resource

RULE = "aws-lambda-function-configure-customer-managed-key"
FUNCTION = "aws:lambda/function:Function"
CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ENVIRONMENT = {"variables": {"LOG_LEVEL": "info"}}


@pytest.mark.parametrize("inputs", [
    {"environment": ENVIRONMENT, "kmsKeyArn": CMK_ARN},
    {"environment": ENVIRONMENT, "kmsKeyArn": UNKNOWN},
    {"runtime": "python3.12"},  # no environment: nothing to encrypt
    {"environment": {"variables": {}}},
])
def test_customer_key_or_no_environment_passes(inputs):
    assert messages([resource(FUNCTION, inputs)], RULE) == []


@pytest.mark.parametrize("inputs, expected", [
    ({"environment": ENVIRONMENT}, "no `kmsKeyArn`: the data is not encrypted with a key you control"),
    ({"environment": ENVIRONMENT, "kmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:alias/aws/lambda"},
     "`kmsKeyArn` is the AWS-managed key 'arn:aws:kms:eu-west-1:111122223333:alias/aws/lambda', not a customer-managed key"),
])
def test_environment_without_a_customer_key_is_a_violation(inputs, expected):
    assert messages([resource(FUNCTION, inputs)], RULE) == [expected]
