"""aws-sns-topic-configure-kms-key: SNS topics must name a customer-managed key in `kmsMasterKeyId`."""

import pytest

from policy_harness import customer_key_findings, customer_key_verdicts

VERDICTS = customer_key_verdicts("aws-sns-topic-configure-kms-key", "aws:sns/topic:Topic", "kmsMasterKeyId", "alias/aws/sns")
EXPECTED = customer_key_findings("kmsMasterKeyId", "alias/aws/sns")


@pytest.mark.parametrize("case", ["customer", "unknown"])
def test_topics_with_a_customer_key_or_an_unknown_key_are_clean(case):
    assert VERDICTS[case] == EXPECTED[case] == []


@pytest.mark.parametrize("case", ["missing", "aws-managed"])
def test_topics_without_a_customer_key_are_violations(case):
    assert VERDICTS[case] == EXPECTED[case] != []
