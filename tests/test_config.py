"""Every stack-config rejection: one line, naming the key and what is allowed."""

from __future__ import annotations

import pytest

from stack_config import (SETTINGS, ConfigError, SecretValue, own_keys,
                               parse_stack_config)
from tests.conftest import checked_in_stack_file

SECRET_KEYS = {"apiPassword", "keystorePassword"}


def base_config(environment: str) -> dict[str, str]:
    """The checked-in stack's own keys, a fresh dict each time (the values are strings),
    from the stack file the suite parses once per process (conftest.checked_in_stack_file)."""
    return own_keys(checked_in_stack_file(environment).config)[0]


def problems_for(stack: str, secret_keys=SECRET_KEYS, **overrides) -> list[tuple[str, str]]:
    raw = base_config(stack)
    for key, value in overrides.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, stack, set(secret_keys))
    return caught.value.problems


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_checked_in_stacks_are_valid(environment):
    config = parse_stack_config(base_config(environment), environment, SECRET_KEYS)
    assert config.environment == environment
    assert isinstance(config.api_password, SecretValue)
    assert "offline" not in repr(config.api_password)


REJECTIONS = [
    ("vpcCidr", "10.0.0.0/33", "dev", "expected an IPv4 CIDR"),
    ("vpcCidr", "not-a-cidr", "dev", "expected an IPv4 CIDR"),
    ("vpcCidr", "10.0.0.1/16", "dev", "host bits set"),
    ("vpcCidr", "10.0.0.0/8", "dev", "/16 to /24"),
    ("vpcCidr", "10.0.0.0/26", "dev", "/16 to /24"),
    ("vpcCidr", "8.8.0.0/16", "dev", "private"),
    ("remoteAccessCidr", "0.0.0.0/0", "prod", "must not be 0.0.0.0/0 in prod"),
    ("remoteAccessCidr", "203.0.113.7", "prod", None),  # a single address is a /32: accepted
    ("remoteAccessCidr", "203.0.113.0/33", "dev", "expected an IPv4 CIDR"),
    ("backupRetentionDays", "0", "dev", "from 1 to 35"),
    ("backupRetentionDays", "36", "dev", "from 1 to 35"),
    ("backupRetentionDays", "seven", "dev", "whole number"),
    ("backupRetentionDays", "3", "prod", "at least 7 in prod"),
    ("nodeInstanceType", "large", "dev", "EC2 instance type"),
    ("nodeInstanceType", "M6I.LARGE", "dev", "EC2 instance type"),
    ("bastionInstanceType", "t3", "dev", "EC2 instance type"),
    ("chainlinkVersion", "latest", "dev", "not 'latest'"),
    ("chainlinkVersion", "v2.29.0", "dev", "no 'v'"),
    ("chainlinkVersion", "2.29", "dev", "pinned release"),
    ("chainlinkVersion", "2.29.0-root", "dev", "run the node as root"),
    ("chainlinkVersion", "sha256:abc", "dev", "digest"),
    ("chainlinkVersion", None, "dev", "is required"),
    ("availabilityZoneCount", "4", "prod", "from 2 to 3"),
    ("natGatewayStrategy", "none", "dev", "single, perAz"),
    ("bastionEnabled", "yes", "dev", "true or false"),
    ("bastionCount", "3", "dev", "from 1 to 2"),
    ("logRetentionDays", "8", "dev", "CloudWatch Logs retention"),
    ("dbEngineVersion", "13.9", "dev", "major 14 to 17"),
    ("dbInstanceClass", "r6g.large", "dev", "db.r6g.large"),
    ("dbPort", "80", "dev", "from 1150 to 65535"),
    ("apiUserEmail", "not-an-email", "dev", "e-mail"),
    ("alarmEmail", None, "prod", "required in prod"),
    ("certificateArn", "arn:aws:iam::1:cert", "dev", "ACM certificate ARN"),
    ("environment", "staging", "dev", "dev, prod"),
    ("vpcCidrr", "10.0.0.0/16", "dev", "not a known setting"),
    ("backupCopyRegion", "Europe", "prod", "AWS region"),
    ("devOpsGuruAdministratorAccountId", "12345", "prod", "12-digit"),
    ("iamPermissionsBoundaryArn", "ChainlinkWorkloadBoundary", "prod", "IAM policy ARN"),
    ("minGasBalance", "0", "dev", "positive decimal"),
    ("minGasBalance", "-1", "prod", "positive decimal"),
    ("minGasBalance", "1e3", "prod", "positive decimal"),
    ("minGasBalance", "0.25", "prod", None),
    ("minGasBalance", "9" * 400, "prod", "at most 1e+59 (2**256 wei), got a 400-digit number"),
    ("chainlinkVersion", "2.29.0-" + "a" * 5000, "dev", "a Docker image tag has at most 128"),
    ("backupCopyRegion", "mars-north-9", "prod", "'mars-north-9' is not an AWS region"),
    ("backupCopyRegion", "eu-wset-1", "prod", "did you mean eu-west-1?"),
    ("nodeInstanceType", "m6i." + "a" * 5000, "dev", "EC2 instance type"),
    ("apiUserEmail", "a" * 5000 + "@example.com", "dev", "e-mail"),
    ("alarmEmail", "a" * 250 + "@example.com", "prod", "e-mail"),
    ("bootstrapStack", "org/" + "a" * 5000 + "/prod", "dev", "stack name"),
]


@pytest.mark.parametrize("key,value,environment,fragment", REJECTIONS)
def test_a_bad_value_names_its_key_on_one_line(key, value, environment, fragment):
    if fragment is None:
        raw = base_config(environment)
        raw[key] = value
        parse_stack_config(raw, environment, SECRET_KEYS)
        return
    problems = problems_for(environment, **{key: value})
    assert [problem_key for problem_key, _ in problems] == [key]
    message = str(ConfigError(problems))
    assert message.startswith(f"chainlink-node-aws:{key}: ")
    assert fragment in message
    assert "\n" not in message


BAD_PASSWORDS = [
    ("short-password", "at least 16 bytes"),
    (" leading-space-password", "whitespace"),
    ("trailing-space-password ", "whitespace"),
    ("first-line-of-it\nsecond-line", "control characters"),
    ("tab-inside\tthe-password", "control characters"),
]
# Only the API user's password has bcrypt's 50-byte limit.
API_ONLY_BAD_PASSWORDS = [
    ("x" * 51, "16 to 50 bytes"),
    ("é" * 26, "it has 52 bytes"),               # 26 characters, but 52 bytes to the node
]


@pytest.mark.parametrize("key,password,fragment",
                         [(key, password, fragment.replace("at least 16", "16 to 50")
                           if key == "apiPassword" else fragment)
                          for key in ("apiPassword", "keystorePassword")
                          for password, fragment in BAD_PASSWORDS]
                         + [("apiPassword", password, fragment)
                            for password, fragment in API_ONLY_BAD_PASSWORDS])
def test_node_passwords_follow_the_nodes_rules_without_showing_the_value(key, password,
                                                                         fragment):
    problems = problems_for("dev", **{key: password})
    assert [problem_key for problem_key, _ in problems] == [key]
    message = str(ConfigError(problems))
    assert fragment in message and "\n" not in message
    assert password.strip() not in message


@pytest.mark.parametrize("password", ["p" * 16, "p" * 50, "é" * 25, "inner spaces are fine ok"])
def test_passwords_at_the_nodes_limits_are_accepted(password):
    raw = base_config("dev")
    raw["apiPassword"] = raw["keystorePassword"] = password
    config = parse_stack_config(raw, "dev", SECRET_KEYS)
    assert config.api_password.reveal() == config.keystore_password.reveal() == password


@pytest.mark.parametrize("password", ["k" * 51, "é" * 26, "k" * 200])
def test_the_keystore_password_has_no_50_byte_limit(password):
    raw = base_config("dev")
    raw["keystorePassword"] = password
    assert parse_stack_config(raw, "dev", SECRET_KEYS).keystore_password.reveal() == password


def test_stack_config_and_host_agent_apply_the_same_password_rule():
    """One implementation: what the stack accepts, the host accepts, byte for byte."""
    from components.host import chainlink_agent as agent
    for password in ["é" * 25, "é" * 26, "x" * 15, "x" * 16, "x" * 50, "x" * 51, " x" * 10]:
        raw = base_config("dev")
        raw["apiPassword"] = password
        try:
            parse_stack_config(raw, "dev", SECRET_KEYS)
            stack_accepts = True
        except ConfigError:
            stack_accepts = False
        host_accepts = agent.password_problem(password, agent.API_PASSWORD_MAX_BYTES) is None
        assert stack_accepts == host_accepts, password


def test_api_password_must_not_contain_the_api_email():
    problems = problems_for("dev", apiPassword="x-NODE-ADMIN@example.com-x")
    assert problems == [("apiPassword",
                         "must not contain apiUserEmail; choose another password")]


@pytest.mark.parametrize("email", ["ops@localhost", "ops..team@example.com", ".ops@example.com",
                                   "Ops <ops@example.com>", "ops team@example.com",
                                   "ops@-example.com", "ops@example..com", "ops@@example.com"])
def test_api_email_must_be_a_plain_address_the_node_accepts(email):
    problems = problems_for("dev", apiUserEmail=email)
    assert [key for key, _ in problems] == ["apiUserEmail"]
    assert "e-mail address" in problems[0][1]


@pytest.mark.parametrize("email", ["ops@example.com", "o.p+s@sub.example.co.uk",
                                   "ops_team@example-domain.io"])
def test_plain_addresses_are_accepted(email):
    raw = base_config("dev")
    raw["apiUserEmail"] = email
    assert parse_stack_config(raw, "dev", SECRET_KEYS).api_user_email == email


def test_short_secrets_get_one_message_that_does_not_depend_on_the_value():
    messages = set()
    for password in ["", "a", "1", "s", "must"]:
        problems = problems_for("dev", apiPassword=password)
        assert [key for key, _ in problems] == ["apiPassword"]
        messages.add(problems[0][1])
    (message,) = messages
    assert message.startswith("is not valid: 16 to 50 bytes")
    assert message.endswith("the value is secret, so it is not shown")


def test_a_password_stored_in_plaintext_is_refused():
    problems = problems_for("dev", secret_keys=SECRET_KEYS - {"keystorePassword"})
    assert problems == [("keystorePassword",
                         "must be stored encrypted: run `pulumi config set --secret "
                         "keystorePassword`")]


def test_several_bad_keys_give_one_line_each():
    problems = problems_for("prod", vpcCidr="10.0.0.0/33", backupRetentionDays="2",
                            chains='[{"chain": "nowhere"}]')
    assert sorted(key for key, _ in problems) == ["backupRetentionDays", "chains", "vpcCidr"]
    assert len(str(ConfigError(problems)).splitlines()) == 3


def test_environment_defaults_differ_where_they_should():
    dev = base_config("dev")
    for key in ("natGatewayStrategy", "nodeInstanceType", "logRetentionDays"):
        dev.pop(key, None)
    config = parse_stack_config(dev, "dev", SECRET_KEYS)
    assert (config.nat_gateway_strategy, config.log_retention_days) == ("single", 7)
    prod = base_config("prod")
    for key in ("natGatewayStrategy", "logRetentionDays"):
        prod.pop(key)
    config = parse_stack_config(prod, "prod", SECRET_KEYS)
    assert (config.nat_gateway_strategy, config.log_retention_days) == ("perAz", 90)
