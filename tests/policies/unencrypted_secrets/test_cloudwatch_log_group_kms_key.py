"""aws-cloudwatch-log-group-configure-kms-key: CloudWatch log groups must name a customer-managed key in `kmsKeyId`."""

import pytest

from policy_harness import customer_key_findings, customer_key_verdicts

VERDICTS = customer_key_verdicts("aws-cloudwatch-log-group-configure-kms-key", "aws:cloudwatch/logGroup:LogGroup", "kmsKeyId", "alias/aws/logs")
EXPECTED = customer_key_findings("kmsKeyId", "alias/aws/logs")


@pytest.mark.parametrize("case", ["customer", "unknown"])
def test_log_groups_with_a_customer_key_or_an_unknown_key_are_clean(case):
    assert VERDICTS[case] == EXPECTED[case] == []


@pytest.mark.parametrize("case", ["missing", "aws-managed"])
def test_log_groups_without_a_customer_key_are_violations(case):
    assert VERDICTS[case] == EXPECTED[case] != []
