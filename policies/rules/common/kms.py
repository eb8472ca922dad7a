"""KMS key inputs: telling customer-managed keys from AWS-managed ones (alias/aws/...).

One notion for every rule that asks for a key (AVD-AWS-0136, compliance-policies'
`*-configure-customer-managed-key`): a key is customer-managed unless it is an
`alias/aws/...` alias or alias ARN; a key id, key ARN or own alias is the customer's.
"""

from __future__ import annotations

import re
from typing import Iterator, Mapping

from ..model import Resource, ResourceRule
from .values import is_set

_AWS_MANAGED_ALIAS = re.compile(r"(^|:)alias/aws/")


def is_aws_managed_key(key: str) -> bool:
    """An `alias/aws/...` reference, bare or as an alias ARN."""
    return bool(_AWS_MANAGED_ALIAS.search(key))


def missing_key_finding(value: object, field: str) -> str | None:
    """Why a KMS key input does not protect the data; None when it does or can't be judged.

    A secret key id is still a key; an unknown one (preview) can't be judged.
    """
    present = is_set(value)
    if present is None:
        return None
    if not present:
        return f"no `{field}`: the data is not encrypted with a key you control"
    if isinstance(value, str) and is_aws_managed_key(value):
        return f"`{field}` is the AWS-managed key {value!r}, not a customer-managed key"
    return None


def key_required_rule(
    *, name: str, description: str, remediation: str, resource_type: str, field: str,
) -> ResourceRule:
    """A rule that one resource type names a KMS key in `field`."""

    def check(resource: Resource, config: Mapping) -> Iterator[str]:
        finding = missing_key_finding(resource.props.get(field), field)
        if finding:
            yield finding

    return ResourceRule(
        name=name,
        description=description,
        remediation=remediation,
        resource_types=frozenset({resource_type}),
        check=check,
    )
