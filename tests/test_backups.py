"""Volume backups: a DLM policy for the node hosts' volumes, found by the backup tag."""

from __future__ import annotations

import json

import pytest

from components.backups import VolumeBackupsArgs
from components.tags import BACKUP_TAG_KEY, BACKUP_TAG_VALUE
from tests.conftest import inputs_of
from tests.test_database import account_of, key_arn_of


def dlm_policy(run):
    (policy,) = run.of_type("aws:dlm/lifecyclePolicy:LifecyclePolicy")
    return inputs_of(policy)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_daily_snapshots_of_every_tagged_volume(stack_run, stack):
    policy = dlm_policy(stack_run(stack))
    assert policy["state"] == "ENABLED"
    details = policy["policyDetails"]
    assert details["policyType"] == "EBS_SNAPSHOT_MANAGEMENT"
    assert details["resourceTypes"] == ["VOLUME"]
    assert details["targetTags"] == {BACKUP_TAG_KEY: BACKUP_TAG_VALUE}
    (schedule,) = details["schedules"]
    assert schedule["createRule"] == {"interval": 24, "intervalUnit": "HOURS",
                                      "times": "05:00"}
    assert schedule["copyTags"] is True
    # Age, not count: snapshots of volumes of replaced hosts must expire as well.
    assert schedule["retainRule"] == {"interval": 7, "intervalUnit": "DAYS"}
    assert policy["tags"] == {"chainlink:stack": stack}


def test_retention_follows_the_config(stack_run):
    (schedule,) = dlm_policy(stack_run("dev", hostSnapshotRetentionDays="14")
                             )["policyDetails"]["schedules"]
    assert schedule["retainRule"] == {"interval": 14, "intervalUnit": "DAYS"}


def test_prod_copies_snapshots_to_the_second_region_encrypted(stack_run):
    (schedule,) = dlm_policy(stack_run("prod"))["policyDetails"]["schedules"]
    assert schedule["crossRegionCopyRules"] == [{
        "target": "us-west-2", "encrypted": True, "copyTags": True,
        "retainRule": {"interval": 7, "intervalUnit": "DAYS"}}]


def test_dev_keeps_snapshots_in_its_region(stack_run):
    (schedule,) = dlm_policy(stack_run("dev"))["policyDetails"]["schedules"]
    assert "crossRegionCopyRules" not in schedule
    assert not [p for p in stack_run("dev").of_type("aws:iam/rolePolicy:RolePolicy")
                if "dlm" in p.name]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_dlm_role_is_trusted_by_dlm_only(stack_run, stack):
    run = stack_run(stack)
    (role,) = [r for r in run.of_type("aws:iam/role:Role") if r.name.endswith("dlm-role")]
    trust = json.loads(inputs_of(role)["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "dlm.amazonaws.com"}]
    attachments = [inputs_of(a)["policyArn"]
                   for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                   if a.name.endswith("dlm-service")]
    assert attachments == [
        "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"]
    account = account_of(run)
    assert dlm_policy(run)["executionRoleArn"].startswith(
        f"arn:aws:iam::{account}:role/chainlink-dlm-role-")


def test_copying_may_use_the_data_key_only_through_ec2(stack_run):
    run = stack_run("prod")
    (policy,) = [p for p in run.of_type("aws:iam/rolePolicy:RolePolicy")
                 if p.name.endswith("dlm-source-key")]
    statements = json.loads(inputs_of(policy)["policy"])["Statement"]
    for statement in statements:
        assert statement["Resource"] == key_arn_of(run, "data-key")
        assert "Condition" in statement
    use = next(s for s in statements if s["Sid"] == "CopyEncryptedSnapshots")
    assert use["Condition"] == {"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}}


@pytest.mark.parametrize("days", [0, 36])
def test_volume_backup_args_refuse_impossible_retention(days):
    with pytest.raises(ValueError, match="retention_days"):
        VolumeBackupsArgs(context=None, volume_kms_key_arn="k", retention_days=days)
