"""A Secrets Manager rotation must rotate at least every `maximumDays` days.

Whether a secret should rotate at all cannot be judged from the stack (a node keystore
password cannot rotate by itself; an RDS-managed secret rotates without a resource
here), so only the rotations the stack declares are judged.
"""

from __future__ import annotations

import re
from typing import Iterator, Mapping

from ..common.values import dig, is_opaque, number, text
from ..model import Resource, ResourceRule

_RATE_DAYS = re.compile(r"^rate\((\d+) days?\)$")


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    rules = resource.props.get("rotationRules")
    if is_opaque(rules):
        return
    maximum = config["maximumDays"]
    days = number(dig(rules, "automaticallyAfterDays"))
    expression = text(dig(rules, "scheduleExpression")) or ""
    rate = _RATE_DAYS.match(expression.strip())
    if rate:
        days = float(rate.group(1))
    if days is not None and days > maximum:
        yield f"the secret rotates every {days:g} days; at most {maximum} allowed"


RULE = ResourceRule(
    name="aws-secretsmanager-secret-rotation-configure-schedule",
    description="Secrets Manager rotations rotate at least every `maximumDays` days (CKV_AWS_304: 90).",
    remediation="Set `rotationRules.automaticallyAfterDays` (or a `rate(N days)`/cron schedule) within the maximum.",
    resource_types=frozenset({"aws:secretsmanager/secretRotation:SecretRotation"}),
    config_schema={"maximumDays": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 90,
                                   "description": "Longest allowed rotation interval in days."}},
    check=check,
)
