"""RDS instances and clusters must keep automated backups for at least the configured days."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common import rds
from ..common.values import number
from ..model import Resource, ResourceRule

AWS_DEFAULT_RETENTION_DAYS = 1


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    if rds.is_read_replica(resource):  # AWS keeps (or refuses) replica backups; the source's count
        return
    value = resource.props.get("backupRetentionPeriod")
    days = number(value, default=AWS_DEFAULT_RETENTION_DAYS)
    minimum = config["minimumRetentionDays"]
    if days is not None and days < minimum:
        how = f"{days:g} day(s)" if value is not None else f"not set (AWS default {AWS_DEFAULT_RETENTION_DAYS} day)"
        yield f"`backupRetentionPeriod` is {how}; at least {minimum:g} required"


RULE = ResourceRule(
    name="aws-rds-database-configure-backup-retention",
    description="RDS instances and clusters must retain automated backups for at least `minimumRetentionDays` days.",
    remediation="Set `backupRetentionPeriod` to at least the configured minimum (1-35 days; 7 in prod).",
    resource_types=rds.INSTANCES_AND_CLUSTERS,
    config_schema={
        "minimumRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 35,
            "default": 7,
            "description": "Fewest days of automated backups; an omitted `backupRetentionPeriod` counts as AWS's 1.",
        },
    },
    check=check,
)
