"""DynamoDB tables must have point-in-time recovery."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.values import dig, flag, items, text
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    if flag(dig(resource.props, "pointInTimeRecovery", "enabled")) is False:
        yield "point-in-time recovery is off: `pointInTimeRecovery.enabled` is not true"
    for replica in items(resource.props.get("replicas")):  # a global table's replicas each keep their own PITR
        if isinstance(replica, dict) and flag(replica.get("pointInTimeRecovery")) is False:
            region = text(replica.get("regionName")) or "(unnamed region)"
            yield f"the replica in {region} has point-in-time recovery off: set `pointInTimeRecovery: true` on it"


RULE = ResourceRule(
    name="aws-dynamodb-table-enable-point-in-time-recovery",
    description="DynamoDB tables, and each replica of a global table, must have point-in-time recovery enabled.",
    remediation="Set `pointInTimeRecovery: {enabled: true}` on the table.",
    resource_types=frozenset({"aws:dynamodb/table:Table"}),
    check=check,
)
