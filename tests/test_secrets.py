"""Secrets tier: every secret on the rotating data key, values secret, shapes the host reads."""

from __future__ import annotations

import json

import pytest

from components.secrets import SecretsArgs
from policies.rules.common.values import is_secret_wire_value as is_secret
from policies.engine import mask_secrets
from tests.conftest import inputs_of
from tests.test_database import account_of, key_arn_of

# Distinct values, so that a leak anywhere in the recorded inputs is found by a search.
HTTP_URL = "https://rpc.example.net/key-for-leak-search-3"
WS_URL = "wss://rpc.example.net/key-for-leak-search-4"
SEND_ONLY_URL = "https://send.example.net/key-for-leak-search-5"
DISTINCT = {"apiPassword": "Api-Password-For-Leak-Search-1",
            "keystorePassword": "Keystore-Password-For-Leak-Search-2",
            "chains": json.dumps([{"chain": "ethereum-sepolia", "wsUrl": WS_URL,
                                   "httpUrl": HTTP_URL,
                                   "sendOnly": [{"name": "relay", "httpUrl": SEND_ONLY_URL}]}])}
SEARCHED = [DISTINCT["apiPassword"], DISTINCT["keystorePassword"], HTTP_URL, WS_URL,
            SEND_ONLY_URL]
RECOVERY_DAYS = {"dev": 7, "prod": 30}


def secret_values(run):
    """purpose -> (raw SecretVersion inputs, parsed secret JSON)."""
    values = {}
    for version in run.of_type("aws:secretsmanager/secretVersion:SecretVersion"):
        purpose = version.name.removeprefix("chainlink-").removesuffix("-value")
        values[purpose] = (version, json.loads(inputs_of(version)["secretString"]))
    return values


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_secret_is_on_the_customer_key_with_a_recovery_window(stack_run, stack):
    run = stack_run(stack)
    secrets = run.of_type("aws:secretsmanager/secret:Secret")
    assert sorted(s.name for s in secrets) == [
        "chainlink-api-credentials", "chainlink-keystore-password", "chainlink-rpc-urls"]
    data_key = key_arn_of(run, "data-key")
    for secret in secrets:
        inputs = inputs_of(secret)
        assert inputs["kmsKeyId"] == data_key
        assert inputs["recoveryWindowInDays"] == RECOVERY_DAYS[stack]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_kms_key_in_the_stack_rotates(stack_run, stack):
    keys = stack_run(stack).of_type("aws:kms/key:Key")
    assert len(keys) >= 2
    for key in keys:
        inputs = inputs_of(key)
        assert inputs["enableKeyRotation"] is True
        assert inputs["deletionWindowInDays"] == RECOVERY_DAYS[stack], key.name


def test_secret_values_come_from_config_in_the_shapes_the_host_reads(stack_run):
    run = stack_run("dev", **DISTINCT)
    values = {purpose: parsed for purpose, (_, parsed) in secret_values(run).items()}
    assert values == {
        "api-credentials": {"email": "node-admin@example.com",
                            "password": DISTINCT["apiPassword"]},
        "keystore-password": {"password": DISTINCT["keystorePassword"]},
        # By chain and node, as the agent reads them; plus the single-chain fields an
        # agent of the previous release reads until its host is replaced.
        "rpc-urls": {"11155111/primary/wsUrl": WS_URL, "11155111/primary/httpUrl": HTTP_URL,
                     "11155111/relay/httpUrl": SEND_ONLY_URL,
                     "wsUrl": WS_URL, "httpUrl": HTTP_URL},
    }
    for version, _ in secret_values(run).values():
        assert is_secret(version.inputs["secretString"])


def test_no_secret_value_appears_outside_secret_wrapped_inputs_or_outputs(stack_run):
    run = stack_run("prod", **DISTINCT)
    visible = json.dumps([mask_secrets(r.inputs) for r in run.resources])
    visible += json.dumps(mask_secrets(run.outputs))
    for value in SEARCHED:
        assert value not in visible
        assert value.split("/")[-1] not in visible


def test_prod_protects_secrets_and_refuses_to_replace_the_keystore_password(stack_run):
    run = stack_run("prod")
    assert all(s.protect for s in run.of_type("aws:secretsmanager/secret:Secret"))
    assert all(k.protect for k in run.of_type("aws:kms/key:Key"))
    protected_values = {purpose for purpose, (version, _) in secret_values(run).items()
                        if version.protect}
    # A new secret string replaces the version; refused for the keystore password only,
    # so API password and RPC URLs can still change.
    assert protected_values == {"keystore-password"}


def test_dev_protects_nothing(stack_run):
    run = stack_run("dev")
    assert not any(r.protect for r in run.resources
                   if r.type.startswith(("aws:secretsmanager", "aws:kms")))


def _key_policy(run):
    (key,) = [k for k in run.of_type("aws:kms/key:Key") if k.name.endswith("data-key")]
    return json.loads(inputs_of(key)["policy"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_key_policy_delegates_to_iam_and_names_only_this_stacks_autoscaling_role(stack_run,
                                                                                  stack):
    run = stack_run(stack)
    account = account_of(run)
    statements = {s["Sid"]: s for s in _key_policy(run)["Statement"]}
    assert statements["AccountAdministersKeyThroughIam"]["Principal"] == {
        "AWS": f"arn:aws:iam::{account}:root"}
    role_arn = (f"arn:aws:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/"
                f"AWSServiceRoleForAutoScaling_chainlink-{stack}")
    use, grant = statements["AutoScalingEncryptsHostVolumes"], \
        statements["AutoScalingGrantsForAttachedVolumes"]
    assert use["Principal"] == grant["Principal"] == {"AWS": role_arn}
    assert "kms:*" not in use["Action"] and "kms:CreateGrant" not in use["Action"]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert len(statements) == 3
    (role,) = run.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert inputs_of(role)["awsServiceName"] == "autoscaling.amazonaws.com"
    assert inputs_of(role)["customSuffix"] == f"chainlink-{stack}"


@pytest.mark.parametrize("days", [0, 6, 31])
def test_secrets_are_never_force_deleted(days):
    with pytest.raises(ValueError, match="never force-deleted"):
        SecretsArgs(context=None, api_user_email="a@example.com", api_password=None,
                    keystore_password=None, rpc_urls={},
                    recovery_window_days=days)
