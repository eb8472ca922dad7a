"""Value parsers for stack config keys: each takes the raw string Pulumi hands the
program and returns the typed value, or raises ValueError saying what is allowed.

Where the node itself has the rule (passwords, e-mail, RPC URL schemes), the parser
applies the host agent's implementation (components/host/chainlink_agent.py)."""

from __future__ import annotations

import difflib
import functools
import ipaddress
import json
import re
from pathlib import Path
from typing import Callable

from stack_config.profile import BOOTSTRAP_PROJECT

from components.host.chainlink_agent import (API_PASSWORD_MAX_BYTES, email_problem,
                                            password_problem, password_rule, url_problem)
# Re-exported: the tiers take SecretValue too, and a tier needs nothing outside components/.
from components.secret_value import SecretValue

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                      1096, 1827, 2192, 2557, 2922, 3288, 3653)
SUPPORTED_POSTGRES_MAJORS = (14, 15, 16, 17)


# --- value parsers: each takes the raw string and raises ValueError(what is allowed) ---

def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError(f"expected true or false, got {text!r}")


def int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        stripped = text.strip()
        if not re.fullmatch(r"-?\d+", stripped):
            raise ValueError(f"expected a whole number from {low} to {high}, got {text!r}")
        value = int(stripped)
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high}, got {value}")
        return value
    return parse


def one_of(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {text!r}")
        return text
    return parse


def parse_log_retention(text: str) -> int:
    value = int_between(1, 3653)(text)
    if value not in LOG_RETENTION_DAYS:
        raise ValueError("must be a CloudWatch Logs retention period: "
                         + ", ".join(str(days) for days in LOG_RETENTION_DAYS))
    return value


def ipv4_cidr(min_prefix: int, max_prefix: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            network = ipaddress.IPv4Network(text.strip(), strict=True)
        except ValueError as error:
            raise ValueError(f"expected an IPv4 CIDR such as 10.0.0.0/16 ({error}), "
                             f"got {text!r}") from None
        if not min_prefix <= network.prefixlen <= max_prefix:
            raise ValueError(f"prefix length must be /{min_prefix} to /{max_prefix}, "
                             f"got /{network.prefixlen}")
        return str(network)
    return parse


def parse_vpc_cidr(text: str) -> str:
    cidr = ipv4_cidr(16, 24)(text)
    if not ipaddress.IPv4Network(cidr).is_private:
        raise ValueError(f"must be a private (RFC 1918) range, got {cidr}")
    return cidr


# Family, then size (u7in-16tb.224xlarge is among the longest, at 19 characters).
_INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]{0,15}\.[a-z0-9]{1,15}")


def parse_instance_type(text: str) -> str:
    if not _INSTANCE_TYPE.fullmatch(text):
        raise ValueError(f"expected an EC2 instance type such as m6i.large, got {text[:40]!r}")
    return text


_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# The version is the node image's tag (smartcontract/chainlink:<version>).
MAX_DOCKER_TAG_LENGTH = 128


def parse_chainlink_version(text: str) -> str:
    """A pinned release (semver, no `v`) or an image digest; never a moving tag."""
    if text.endswith("-root"):
        raise ValueError("-root images run the node as root; use the plain release tag")
    if len(text) > MAX_DOCKER_TAG_LENGTH:
        raise ValueError(f"is {len(text)} characters; a Docker image tag has at most "
                         f"{MAX_DOCKER_TAG_LENGTH}: use the release as published, such as 2.29.0")
    if _SEMVER.fullmatch(text) or _DIGEST.fullmatch(text):
        return text
    raise ValueError("must be a pinned release such as 2.29.0 (no 'v', not 'latest') "
                     f"or an image digest sha256:<64 hex>, got {text!r}")


def parse_email(text: str) -> str:
    problem = email_problem(text.strip())
    if problem:
        raise ValueError(f"expected an e-mail address such as ops@example.com, got {text[:60]!r}")
    return text.strip()


def url_with_scheme(*schemes: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        problem = url_problem(text.strip(), schemes)
        if problem:
            raise ValueError(problem.replace("must be", "expected", 1))
        return text.strip()
    return parse


def node_password(max_bytes: int | None) -> Callable[[str], str]:
    """The node's rule for a password (components/host/chainlink_agent.py, which applies
    it again on the host); the message never quotes the value."""
    def parse(text: str) -> str:
        problem = password_problem(text, max_bytes)
        if problem:
            raise ValueError(problem)
        return text
    return parse


def parse_certificate_arn(text: str) -> str:
    if not re.fullmatch(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+", text):
        raise ValueError("expected an ACM certificate ARN "
                         "arn:aws:acm:<region>:<account>:certificate/<id>, or leave it unset")
    return text


def parse_db_instance_class(text: str) -> str:
    if not re.fullmatch(r"db\.[a-z0-9-]+\.[a-z0-9]+", text):
        raise ValueError(f"expected a database instance class such as db.r6g.large, got {text!r}")
    return text


def parse_postgres_version(text: str) -> str:
    match = re.fullmatch(r"(\d+)(\.\d+)?", text.strip())
    if not match or int(match.group(1)) not in SUPPORTED_POSTGRES_MAJORS:
        raise ValueError("must be an Aurora PostgreSQL version the node supports "
                         f"(major 14 to 17, such as 16.11), got {text!r}")
    return text.strip()


# 2**256 wei of an 18-decimal token is about 1.2e59 tokens: no balance can be larger.
MAX_TOKEN_AMOUNT = 1e59


def parse_positive_amount(text: str) -> float:
    if not re.fullmatch(r"\d+(\.\d+)?", text.strip()) or float(text) <= 0:
        raise ValueError(f"expected a positive decimal number such as 0.5, got {text[:40]!r}")
    if float(text) > MAX_TOKEN_AMOUNT:
        raise ValueError(f"expected at most {MAX_TOKEN_AMOUNT:.0e} (2**256 wei), got a "
                         f"{len(text.strip().split('.')[0])}-digit number")
    return float(text)


def parse_stack_reference(text: str) -> str:
    # Pulumi names (organization, project, stack) have at most 100 characters each.
    if text and not re.fullmatch(r"(\w[\w.-]{0,99}/){0,2}\w[\w.-]{0,99}", text):
        raise ValueError("expected a stack name such as organization/"
                         f"{BOOTSTRAP_PROJECT}/prod, or an empty value for none, got {text[:60]!r}")
    return text


def parse_policy_arn(text: str) -> str:
    if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:policy/[\w+=,.@/-]+", text):
        raise ValueError("expected an IAM policy ARN arn:aws:iam::<account>:policy/<name>, "
                         f"or leave it unset, got {text!r}")
    return text


def parse_account_id(text: str) -> str:
    if not re.fullmatch(r"\d{12}", text):
        raise ValueError(f"expected a 12-digit AWS account id, got {text!r}")
    return text


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region of every AWS partition, from botocore's published partition data
    (the list the AWS SDKs resolve endpoints with)."""
    import botocore
    data = json.loads((Path(botocore.__file__).parent / "data" / "partitions.json").read_text())
    return frozenset(region for partition in data["partitions"] for region in partition["regions"]
                     if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", region))


def parse_region(text: str) -> str:
    if text in known_regions():
        return text
    close = difflib.get_close_matches(text[:40], sorted(known_regions()), n=1)
    hint = f"did you mean {close[0]}?" if close else "such as eu-west-1"
    raise ValueError(f"{text[:40]!r} is not an AWS region; {hint}")


def parse_key_pair_name(text: str) -> str:
    if not 1 <= len(text) <= 255 or not text.isprintable():
        raise ValueError("expected the name of an existing EC2 key pair")
    return text


