"""Lambda environment variables must be encrypted with a customer-managed KMS key."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.kms import missing_key_finding
from ..common.values import dig, is_opaque
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    variables = dig(resource.props, "environment", "variables")
    if not variables or is_opaque(variables):
        return  # no environment, nothing to encrypt (CKV_AWS_173 judges only functions that have one)
    finding = missing_key_finding(resource.props.get("kmsKeyArn"), "kmsKeyArn")
    if finding:
        yield finding


RULE = ResourceRule(
    name="aws-lambda-function-configure-customer-managed-key",
    description="Lambda functions with environment variables must encrypt them with a customer-managed `kmsKeyArn` (CKV_AWS_173).",
    remediation="Set `kmsKeyArn` to a customer-managed KMS key the function's role may decrypt with.",
    resource_types=frozenset({"aws:lambda/function:Function"}),
    check=check,
)
