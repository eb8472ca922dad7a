"""RDS instances and clusters must encrypt their storage, said explicitly; read replicas inherit it."""

from ..common import rds

RULE = rds.setting_rule(
    name="aws-rds-database-enable-storage-encryption",
    description="RDS instances and Aurora/RDS clusters must set `storageEncrypted: true` (read replicas inherit it).",
    remediation="Set `storageEncrypted: true` and `kmsKeyId` to a customer-managed key; an existing database needs a snapshot restore.",
    field="storageEncrypted",
    required=True,
    consequence="the {kind}'s storage, backups and snapshots are unencrypted",
)
