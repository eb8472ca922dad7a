import pytest

from policy_harness import UNKNOWN, messages, resource

RULE = "aws-efs-backup-policy-enable-backups"
POLICY = "aws:efs/backupPolicy:BackupPolicy"


@pytest.mark.parametrize("status", ["ENABLED", "ENABLING", UNKNOWN])
def test_enabled_or_unknown_backups_pass(status):
    assert messages([resource(POLICY, {"fileSystemId": "fs-1", "backupPolicy": {"status": status}})], RULE) == []


@pytest.mark.parametrize("status", ["DISABLED", "DISABLING"])
def test_disabled_backups_are_violations(status):
    assert messages([resource(POLICY, {"fileSystemId": "fs-1", "backupPolicy": {"status": status}})], RULE) == [
        f"`backupPolicy.status` is {status!r}: AWS Backup no longer takes daily backups of the file system"
    ]
