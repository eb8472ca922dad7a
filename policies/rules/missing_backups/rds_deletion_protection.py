"""RDS instances and clusters must have deletion protection on (advisory in dev)."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common import rds
from ..common.values import flag, shown
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    if rds.is_read_replica(resource):
        return
    value = resource.props.get("deletionProtection")
    if flag(value) is False:
        yield f"`deletionProtection` is {shown(value)}: one mistaken delete removes the {rds.kind(resource)}"


RULE = ResourceRule(
    name="aws-rds-database-enable-deletion-protection",
    category="missing-backups",
    description="RDS instances and clusters must have deletion protection enabled.",
    remediation="Set `deletionProtection: true`; turn it off in a separate, reviewed change before a planned deletion.",
    resource_types=rds.INSTANCES_AND_CLUSTERS,
    check=check,
)
