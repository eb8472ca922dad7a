"""SNS topics must be encrypted at rest with a KMS key."""

from ..common.kms import key_required_rule

RULE = key_required_rule(
    name="aws-sns-topic-configure-kms-key",
    description="SNS topics must encrypt messages at rest with a customer-managed KMS key (not alias/aws/sns).",
    remediation=(
        "Set `kmsMasterKeyId` to a customer-managed KMS key whose policy lets the publishing services "
        "(e.g. cloudwatch.amazonaws.com) use it."
    ),
    resource_type="aws:sns/topic:Topic",
    field="kmsMasterKeyId",
)
