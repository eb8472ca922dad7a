"""Deleting an RDS instance or cluster must leave a final snapshot."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common import rds
from ..common.values import flag
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    if rds.is_read_replica(resource):  # a replica has no final snapshot of its own
        return
    if flag(resource.props.get("skipFinalSnapshot")) is True:
        yield f"`skipFinalSnapshot` is true: deleting the {rds.kind(resource)} destroys its data without a snapshot"


RULE = ResourceRule(
    name="aws-rds-database-disallow-skip-final-snapshot",
    category="missing-backups",
    description="RDS instances and clusters must not skip the final snapshot on deletion.",
    remediation="Set `skipFinalSnapshot: false` (or leave it unset) and give a `finalSnapshotIdentifier`.",
    resource_types=rds.INSTANCES_AND_CLUSTERS,
    check=check,
)
