import pytest

from policy_harness import UNKNOWN, messages, resource, secret

RULE = "aws-lambda-function-disallow-plaintext-secrets"
FUNCTION = "aws:lambda/function:Function"


def function(variables):
    return resource(FUNCTION, {"runtime": "python3.12", "environment": {"variables": variables}})


@pytest.mark.parametrize("variables", [
    {"DB_PASSWORD_ARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db", "LOG_LEVEL": "info"},
    {"API_TOKEN": "${TOKEN}", "REGION": "eu-west-1"},
    {"DB_PASSWORD": UNKNOWN},
    UNKNOWN,
])
def test_references_and_harmless_values_pass(variables):
    assert messages([function(variables)], RULE) == []


@pytest.mark.parametrize("variables, expected", [
    ({"DB_PASSWORD": "hunter2hunter2"}, ["environment variable DB_PASSWORD holds a literal value"]),
    ({"DB_PASSWORD": secret("hunter2hunter2")}, ["environment variable DB_PASSWORD holds a literal value"]),
    ({"AWS_ACCESS_KEY_ID": "AKIAABCDEFGHIJKLMNOP"}, ["environment variable AWS_ACCESS_KEY_ID holds an AWS access key"]),
    ({"DATABASE_URL": "postgres://app:s3cr3tpw@db:5432/x"},
     ["environment variable DATABASE_URL holds a URL with a password written into it"]),
])
def test_plaintext_secrets_in_the_environment_are_violations(variables, expected):
    assert messages([function(variables)], RULE) == expected
