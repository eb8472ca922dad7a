"""RDS instances and clusters must have deletion protection on (advisory in dev)."""

from ..common import rds

RULE = rds.setting_rule(
    name="aws-rds-database-enable-deletion-protection",
    description="RDS instances and clusters must have deletion protection enabled.",
    remediation="Set `deletionProtection: true`; turn it off in a separate, reviewed change before a planned deletion.",
    field="deletionProtection",
    required=True,
    consequence="one mistaken delete removes the {kind}",
)
