"""Secrets Manager secrets must be encrypted with a customer-managed KMS key."""

from ..common.kms import key_required_rule

RULE = key_required_rule(
    name="aws-secretsmanager-secret-configure-customer-key",
    description="Secrets Manager secrets must be encrypted with a customer-managed KMS key (not aws/secretsmanager).",
    remediation="Set `kmsKeyId` to a customer-managed KMS key (with rotation) whose key policy you control.",
    resource_type="aws:secretsmanager/secret:Secret",
    field="kmsKeyId",
)
