"""SNS topics must name a customer-managed key in `kmsMasterKeyId`."""

from policy_harness import customer_key_test

test_customer_key_or_finding = customer_key_test(
    "aws-sns-topic-configure-kms-key", "aws:sns/topic:Topic", "kmsMasterKeyId", "alias/aws/sns")
