"""Building resources in Pulumi wire form and running the offline engine on them."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path
from typing import Any, Iterable

import pytest

from policies.engine import evaluate, load_policy_config, parse_policy_config

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_BOOL = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"
DEV_CONFIG = load_policy_config(REPO / "policies" / "config" / "dev.json")
PROD_CONFIG = load_policy_config(REPO / "policies" / "config" / "prod.json")


def secret(value: Any) -> dict:
    """A secret as mocks hand it over: signature plus plaintext `value`."""
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def encrypted_secret() -> dict:
    """A secret as `pulumi stack export` writes it: signature plus ciphertext."""
    return {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": "v1:AAAAdGhpcyBpcyBub3QgcmVhbA=="}


def resource(resource_type: str, inputs: dict, name: str = "r", parents: Iterable[str] = (), **extra: Any) -> dict:
    chain = "$".join([*parents, resource_type])
    return {
        "urn": f"urn:pulumi:test::chainlink-node-aws::{chain}::{name}",
        "type": resource_type,
        "name": name,
        "parent": None,
        "inputs": inputs,
        **extra,
    }


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def gzip_b64(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode())).decode()


def node_host_cloud_config() -> str:
    return (FIXTURES / "node-host-cloud-config.yaml").read_text()


def with_config(data: dict):
    return parse_policy_config(data, source="test")


def violations(resources: list[dict], config=PROD_CONFIG, policy: str | None = None) -> list[dict]:
    found = evaluate(resources, config)
    return [v for v in found if policy is None or v["policy"] == policy]


def messages(resources: list[dict], policy: str, config=PROD_CONFIG) -> list[str]:
    return [v["message"] for v in violations(resources, config, policy)]



CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def customer_key_test(rule: str, resource_type: str, field: str, aws_alias: str):
    """The test of a "must name a customer-managed key in `field`" rule (common/kms.py):
    a customer key and an unknown (preview) key are clean, no key and the service's
    AWS-managed alias are the two findings. Bind it to a `test_` name in the rule's file."""
    cases = {
        "customer": ({field: CMK_ARN}, []),
        "unknown": ({field: UNKNOWN}, []),
        "missing": ({"name": "r"}, [f"no `{field}`: the data is not encrypted with a key you control"]),
        "aws-managed": ({field: aws_alias},
                        [f"`{field}` is the AWS-managed key {aws_alias!r}, not a customer-managed key"]),
    }

    @pytest.mark.parametrize("case", list(cases))
    def test(case: str) -> None:
        inputs, expected = cases[case]
        assert messages([resource(resource_type, inputs)], rule) == expected

    return test
