"""aws-backup-vault-configure-customer-managed-key: AWS Backup vaults must name a customer-managed key in `kmsKeyArn`."""

import pytest

from policy_harness import customer_key_findings, customer_key_verdicts

VERDICTS = customer_key_verdicts("aws-backup-vault-configure-customer-managed-key", "aws:backup/vault:Vault", "kmsKeyArn", "alias/aws/backup")
EXPECTED = customer_key_findings("kmsKeyArn", "alias/aws/backup")


@pytest.mark.parametrize("case", ["customer", "unknown"])
def test_vaults_with_a_customer_key_or_an_unknown_key_are_clean(case):
    assert VERDICTS[case] == EXPECTED[case] == []


@pytest.mark.parametrize("case", ["missing", "aws-managed"])
def test_vaults_without_a_customer_key_are_violations(case):
    assert VERDICTS[case] == EXPECTED[case] != []
