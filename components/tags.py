"""Tags that tie tiers together: backup selection and host discovery go by these."""

# Volumes carrying this tag are snapshotted daily by the volume-backup policy.
BACKUP_TAG_KEY = "chainlink:backup"
BACKUP_TAG_VALUE = "daily"
# Volumes that hold nothing worth restoring (the OS image only) say so explicitly; the
# policy pack's volume-backup rule exempts them by this tag (policies/config/*.json).
NO_BACKUP = "none"
# Node hosts carry this tag; Prometheus EC2 discovery and alarms find them by it.
ROLE_TAG_KEY = "chainlink:role"
NODE_ROLE = "node"
# Node hosts and the database cluster carry their stack's name under this key: discovery
# (Prometheus, `ops verify-backups`) in an account holding several stacks finds only its own.
STACK_TAG_KEY = "chainlink:stack"
# DevOps Guru analyses the resources carrying this tag with the stack's name as value.
# Provider default tags do not reach Auto Scaling groups, so the node group sets it itself.
DEVOPS_GURU_TAG_KEY = "DevOps-Guru-chainlink-node-aws"
