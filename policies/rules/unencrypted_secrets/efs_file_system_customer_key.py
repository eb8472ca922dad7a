"""EFS file systems must be encrypted at rest with a customer-managed KMS key."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.kms import missing_key_finding
from ..common.values import flag
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    encrypted = flag(resource.props.get("encrypted"))
    if encrypted is False:
        yield "`encrypted` is not true: the file system's data is stored unencrypted"
        return
    if encrypted:
        finding = missing_key_finding(resource.props.get("kmsKeyId"), "kmsKeyId")
        if finding:
            yield finding


RULE = ResourceRule(
    name="aws-efs-file-system-configure-customer-managed-key",
    description="EFS file systems must set `encrypted: true` with a customer-managed `kmsKeyId` (not aws/elasticfilesystem).",
    remediation="Set `encrypted: true` and `kmsKeyId` to a customer-managed KMS key; encryption cannot be added later.",
    resource_types=frozenset({"aws:efs/fileSystem:FileSystem"}),
    check=check,
)
