import pytest

from policy_harness import UNKNOWN, encrypted_secret, messages, resource, secret, with_config


SSM_RULE = "aws-ssm-parameter-configure-secure-string"
PARAMETER = "aws:ssm/parameter:Parameter"


@pytest.mark.parametrize("inputs", [
    {"name": "/chainlink/prod/log-level", "type": "String", "value": "info"},
    {"name": "/app/proxy-bypass", "type": "String", "value": "10.0.0.0/8"},
    {"name": "/app/compass", "type": "String", "value": "north"},
    {"name": "/chainlink/prod/api-password", "type": "SecureString", "value": secret("x" * 20)},
    {"name": "/chainlink/prod/db-password-arn", "type": "String", "value": "arn:aws:secretsmanager:..."},
    {"name": "/chainlink/prod/kms-key-id", "type": "String", "value": "1234abcd"},
    {"name": "/chainlink/prod/api-token", "type": UNKNOWN},
])
def test_parameters_that_are_not_secret_or_are_secure_are_clean(inputs):
    assert messages([resource(PARAMETER, inputs)], SSM_RULE) == []


@pytest.mark.parametrize("inputs", [
    {"name": "/chainlink/prod/api-password", "type": "String", "value": "x"},
    {"name": "/chainlink/prod/keystore-passphrase", "type": "StringList", "value": "x"},
    {"name": "/chainlink/prod/explorer", "type": "String", "description": "Explorer API token", "value": "x"},
    {"name": "/chainlink/prod/signing-key", "type": "String", "value": "x"},
    {"name": "/app/dbPass", "type": "String", "value": "x"},
    {"name": "/app/DB_PASS", "type": "String", "value": "x"},
    {"type": "String", "value": "x"},  # autonamed from the resource name below
])
def test_secret_parameters_stored_as_string_are_violations(inputs):
    parameter = resource(PARAMETER, inputs, name="db-password")
    findings = messages([parameter], SSM_RULE)
    assert len(findings) == 1 and "holds a secret by its name or description" in findings[0]


@pytest.mark.parametrize("value", [secret('{"chain": 1, "logLevel": "info"}'), encrypted_secret(), "10.0.0.0/8"])
def test_a_harmless_string_parameter_passes_whether_or_not_the_wire_wraps_it(value):
    """pulumi-aws marks every parameter value secret on the wire: the wrapper is no evidence."""
    parameter = resource(PARAMETER, {"name": "/chainlink/prod/node-settings", "type": "String", "value": value})
    assert messages([parameter], SSM_RULE) == []


@pytest.mark.parametrize("value", ["AKIAABCDEFGHIJKLMNOP", secret("AKIAABCDEFGHIJKLMNOP")])
def test_a_recognisable_secret_value_in_a_string_parameter_is_a_violation(value):
    parameter = resource(PARAMETER, {"name": "/chainlink/prod/node-settings", "type": "String", "value": value})
    assert messages([parameter], SSM_RULE) == [
        "parameter '/chainlink/prod/node-settings' holds an AWS access key but is stored as String"
    ]


def test_secret_name_patterns_come_from_config():
    config = with_config({SSM_RULE: {"secretNamePatterns": ["^rpc-"]}})
    rpc = resource(PARAMETER, {"name": "/chainlink/rpc-wss", "type": "String", "value": "wss://x"})
    password = resource(PARAMETER, {"name": "/chainlink/password", "type": "String", "value": "x"})
    assert len(messages([rpc], SSM_RULE, config)) == 1
    assert messages([password], SSM_RULE, config) == []
