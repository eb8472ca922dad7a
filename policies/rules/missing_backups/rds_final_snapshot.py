"""Deleting an RDS instance or cluster must leave a final snapshot; replicas have none of their own."""

from ..common import rds

RULE = rds.setting_rule(
    name="aws-rds-database-disallow-skip-final-snapshot",
    description="RDS instances and clusters must not skip the final snapshot on deletion.",
    remediation="Set `skipFinalSnapshot: false` (or leave it unset) and give a `finalSnapshotIdentifier`.",
    field="skipFinalSnapshot",
    required=False,
    consequence="deleting the {kind} destroys its data without a snapshot",
)
