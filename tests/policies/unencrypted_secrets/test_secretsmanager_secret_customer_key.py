import pytest

from policy_harness import UNKNOWN, encrypted_secret, messages, resource, secret

CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


SECRET_RULE = "aws-secretsmanager-secret-configure-customer-key"
SECRET = "aws:secretsmanager/secret:Secret"


@pytest.mark.parametrize("key", [CMK_ARN, "alias/chainlink", secret(CMK_ARN), encrypted_secret(), UNKNOWN])
def test_secret_with_customer_key_or_unjudgeable_key_is_clean(key):
    assert messages([resource(SECRET, {"kmsKeyId": key})], SECRET_RULE) == []


@pytest.mark.parametrize("inputs, expected", [
    ({}, "no `kmsKeyId`"),
    ({"kmsKeyId": ""}, "no `kmsKeyId`"),
    ({"kmsKeyId": "alias/aws/secretsmanager"}, "AWS-managed key"),
    ({"kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:alias/aws/secretsmanager"}, "AWS-managed key"),
])
def test_secret_without_customer_key_is_a_violation(inputs, expected):
    findings = messages([resource(SECRET, inputs)], SECRET_RULE)
    assert len(findings) == 1 and expected in findings[0]
