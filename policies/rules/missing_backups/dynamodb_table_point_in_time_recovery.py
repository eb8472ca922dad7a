"""DynamoDB tables must have point-in-time recovery."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.values import dig, flag
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    if flag(dig(resource.props, "pointInTimeRecovery", "enabled")) is False:
        yield "point-in-time recovery is off: `pointInTimeRecovery.enabled` is not true"


RULE = ResourceRule(
    name="aws-dynamodb-table-enable-point-in-time-recovery",
    category="missing-backups",
    description="DynamoDB tables must have point-in-time recovery enabled.",
    remediation="Set `pointInTimeRecovery: {enabled: true}` on the table.",
    resource_types=frozenset({"aws:dynamodb/table:Table"}),
    check=check,
)
