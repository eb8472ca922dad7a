"""CloudWatch log groups must name a customer-managed key in `kmsKeyId`."""

from policy_harness import customer_key_test

test_customer_key_or_finding = customer_key_test(
    "aws-cloudwatch-log-group-configure-kms-key", "aws:cloudwatch/logGroup:LogGroup", "kmsKeyId", "alias/aws/logs")
