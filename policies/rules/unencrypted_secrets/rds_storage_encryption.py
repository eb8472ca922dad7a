"""RDS instances and clusters must encrypt their storage, said explicitly."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common import rds
from ..common.values import flag, shown
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    if rds.is_read_replica(resource):  # a replica inherits its source's encryption
        return
    value = resource.props.get("storageEncrypted")
    if flag(value) is False:
        yield f"`storageEncrypted` is {shown(value)}: the {rds.kind(resource)}'s storage, backups and snapshots are unencrypted"


RULE = ResourceRule(
    name="aws-rds-database-enable-storage-encryption",
    category="unencrypted-secrets",
    description="RDS instances and Aurora/RDS clusters must set `storageEncrypted: true` (read replicas inherit it).",
    remediation="Set `storageEncrypted: true` and `kmsKeyId` to a customer-managed key; an existing database needs a snapshot restore.",
    resource_types=rds.INSTANCES_AND_CLUSTERS,
    check=check,
)
