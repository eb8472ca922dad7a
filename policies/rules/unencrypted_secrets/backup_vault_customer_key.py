"""AWS Backup vaults must encrypt recovery points with a customer-managed KMS key."""

from ..common.kms import key_required_rule

RULE = key_required_rule(
    name="aws-backup-vault-configure-customer-managed-key",
    description="AWS Backup vaults must encrypt recovery points with a customer-managed `kmsKeyArn` (CKV_AWS_166).",
    remediation="Set `kmsKeyArn` to a customer-managed KMS key; without it AWS uses aws/backup.",
    resource_type="aws:backup/vault:Vault",
    field="kmsKeyArn",
)
