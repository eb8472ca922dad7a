"""CloudWatch log groups must be encrypted with a KMS key: logs can carry secrets."""

from ..common.kms import key_required_rule

RULE = key_required_rule(
    name="aws-cloudwatch-log-group-configure-kms-key",
    description="CloudWatch log groups must be encrypted with a customer-managed KMS key.",
    remediation="Set `kmsKeyId` to the ARN of a customer-managed KMS key whose policy allows logs.<region>.amazonaws.com.",
    resource_type="aws:cloudwatch/logGroup:LogGroup",
    field="kmsKeyId",
)
