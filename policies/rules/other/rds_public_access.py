"""Databases must not be reachable from the internet."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common import rds
from ..common.values import flag
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    if flag(resource.props.get("publiclyAccessible")) is True:
        yield "`publiclyAccessible` is true: the database gets a public address"


RULE = ResourceRule(
    name="aws-rds-database-disallow-public-access",
    enforcement="advisory",
    description="RDS instances and Aurora cluster instances must not be publicly accessible.",
    remediation="Set `publiclyAccessible: false` and reach the database through the VPC (private subnets, security groups).",
    resource_types=frozenset({rds.INSTANCE, rds.CLUSTER_INSTANCE}),
    check=check,
)
