"""AWS Backup vaults must name a customer-managed key in `kmsKeyArn`."""

from policy_harness import customer_key_test

test_customer_key_or_finding = customer_key_test(
    "aws-backup-vault-configure-customer-managed-key", "aws:backup/vault:Vault", "kmsKeyArn", "alias/aws/backup")
