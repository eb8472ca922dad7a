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
# Node hosts also carry the stack's name under this key, so discovery in an account that
# holds more than one stack finds only its own hosts.
STACK_TAG_KEY = "chainlink:stack"
