"""EFS automatic backups must not be turned off."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.values import dig, is_opaque, text
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    status = dig(resource.props, "backupPolicy", "status")
    if not is_opaque(status) and (text(status) or "").upper() in ("DISABLED", "DISABLING"):
        yield f"`backupPolicy.status` is {status!r}: AWS Backup no longer takes daily backups of the file system"


RULE = ResourceRule(
    name="aws-efs-backup-policy-enable-backups",
    description="An EFS backup policy must keep automatic backups ENABLED (CKV2_AWS_18).",
    remediation="Set `backupPolicy: {status: ENABLED}` on the `aws.efs.BackupPolicy`.",
    resource_types=frozenset({"aws:efs/backupPolicy:BackupPolicy"}),
    check=check,
)
