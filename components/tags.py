"""Tags that tie tiers together: backup selection and host discovery go by these."""

# Volumes carrying this tag are snapshotted daily by the volume-backup policy.
BACKUP_TAG_KEY = "chainlink:backup"
BACKUP_TAG_VALUE = "daily"
# Node hosts carry this tag; Prometheus EC2 discovery and alarms find them by it.
ROLE_TAG_KEY = "chainlink:role"
NODE_ROLE = "node"
# The database cluster carries its stack's name in this tag; `ops verify-backups` finds it by it.
STACK_TAG_KEY = "chainlink:stack"
