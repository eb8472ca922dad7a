"""EBS snapshot copies, by hand or by a DLM cross-region copy rule, must be encrypted."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.kms import missing_key_finding
from ..common.values import dig, flag, items
from ..model import Resource, ResourceRule

SNAPSHOT_COPY = "aws:ebs/snapshotCopy:SnapshotCopy"
DLM_POLICY = "aws:dlm/lifecyclePolicy:LifecyclePolicy"


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    if resource.type == SNAPSHOT_COPY:
        yield from _copy_findings("the copy", resource.props, "kmsKeyId")
        return
    for schedule in items(dig(resource.props, "policyDetails", "schedules")):
        for index, rule in enumerate(items(dig(schedule, "crossRegionCopyRules"))):
            yield from _copy_findings(f"cross-region copy rule {index} of schedule {dig(schedule, 'name')!r}",
                                      rule, "cmkArn")


def _copy_findings(label: str, props: Mapping, key_field: str) -> Iterator[str]:
    encrypted = flag(props.get("encrypted"))
    if encrypted is False:
        yield f"{label} is not `encrypted`: a copy of an unencrypted snapshot stays unencrypted"
    elif encrypted and props.get(key_field) is not None:
        # Without a key the copy takes the target region's default EBS key, which the account may
        # have set to a customer key (a stack cannot see that); a key that is named must be the customer's.
        finding = missing_key_finding(props.get(key_field), key_field)
        if finding:
            yield f"{label}: {finding}"


RULE = ResourceRule(
    name="aws-ebs-snapshot-copy-enable-encryption",
    description=(
        "EBS snapshot copies (`aws.ebs.SnapshotCopy`, DLM `crossRegionCopyRules`) must be `encrypted` "
        "and a key they name must be customer-managed."
    ),
    remediation="Set `encrypted: true`, and `kmsKeyId` (`cmkArn` in DLM copy rules) to a customer-managed key.",
    resource_types=frozenset({SNAPSHOT_COPY, DLM_POLICY}),
    check=check,
)
