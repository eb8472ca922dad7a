"""Backups tier: daily snapshots of the node hosts' volumes (Data Lifecycle Manager).

Aurora backs itself up (retention and window are set on the cluster in the Database
tier); this covers the volumes of the node hosts, found by the backup tag that the node
tier puts on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.kit import TierComponent
from components.tags import BACKUP_TAG_KEY, BACKUP_TAG_VALUE, STACK_TAG_KEY
from components.iam import policy_document, service_trust_policy

DLM_SERVICE_POLICY = "policy/service-role/AWSDataLifecycleManagerServiceRole"
# After the Aurora backup window (03:00-04:00 UTC), so the two never compete for I/O.
SNAPSHOT_TIME = "05:00"
# Copying a snapshot encrypted under the data key needs that key (through EC2 only).
SOURCE_KEY_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*",
                      "kms:GenerateDataKey*"]


@dataclass
class VolumeBackupsArgs:
    context: AwsContext
    # The key the node hosts' volumes are encrypted with.
    volume_kms_key_arn: pulumi.Input[str]
    retention_days: int
    # Empty: no copies. Otherwise snapshots are also copied there, encrypted with that
    # region's default EBS key (a customer key would need a provider in that region).
    copy_region: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.retention_days <= 35:
            raise ValueError("retention_days must be 1 to 35")


def dlm_trust_policy() -> str:
    return service_trust_policy("dlm.amazonaws.com")


def source_key_policy(key_arn: str, region: str) -> str:
    return policy_document(
        {"Sid": "CopyEncryptedSnapshots", "Effect": "Allow",
         "Action": SOURCE_KEY_ACTIONS, "Resource": key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com"}}},
        {"Sid": "GrantEbsUseOfTheKeyForCopies", "Effect": "Allow",
         "Action": "kms:CreateGrant", "Resource": key_arn,
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}})


def schedule(retention_days: int, copy_region: str) -> dict:
    """One daily schedule; retention by age, so snapshots of replaced hosts expire too
    (count-based retention keeps the last snapshots of a deleted volume for ever)."""
    daily = {
        "name": f"daily kept {retention_days} days",
        "create_rule": {"interval": 24, "interval_unit": "HOURS", "times": SNAPSHOT_TIME},
        "retain_rule": {"interval": retention_days, "interval_unit": "DAYS"},
        "copy_tags": True,
        "tags_to_add": {"chainlink:snapshot": "dlm-daily"},
    }
    if copy_region:
        daily["cross_region_copy_rules"] = [{
            "target": copy_region, "encrypted": True, "copy_tags": True,
            "retain_rule": {"interval": retention_days, "interval_unit": "DAYS"},
        }]
    return daily


class VolumeBackups(TierComponent):
    """A Data Lifecycle Manager policy: daily snapshots of every volume with the backup tag."""

    TYPE = "chainlink:index:VolumeBackups"

    policy_id: pulumi.Output[str]
    policy_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def _build(self, name: str, args: VolumeBackupsArgs) -> None:
        context = args.context

        role = aws.iam.Role(
            f"{name}-dlm-role", assume_role_policy=dlm_trust_policy(),
            description="Data Lifecycle Manager: snapshots of the node hosts' volumes",
            opts=self._child())
        aws.iam.RolePolicyAttachment(
            f"{name}-dlm-service", role=role.name,
            policy_arn=pulumi.Output.concat("arn:", context.partition, ":iam::aws:",
                                            DLM_SERVICE_POLICY),
            opts=self._child())
        if args.copy_region:
            aws.iam.RolePolicy(
                f"{name}-dlm-source-key", role=role.id,
                policy=pulumi.Output.all(args.volume_kms_key_arn, context.region).apply(
                    lambda values: source_key_policy(*values)),
                opts=self._child())

        policy = aws.dlm.LifecyclePolicy(
            f"{name}-volume-snapshots",
            description="chainlink node host volumes - daily snapshots",
            execution_role_arn=role.arn,
            state="ENABLED",
            policy_details={
                "policy_type": "EBS_SNAPSHOT_MANAGEMENT",
                "resource_types": ["VOLUME"],
                "target_tags": {BACKUP_TAG_KEY: BACKUP_TAG_VALUE},
                "schedules": [schedule(args.retention_days, args.copy_region)],
            },
            tags={STACK_TAG_KEY: pulumi.get_stack()},
            opts=self._child())

        self.policy_id = policy.id
        self.policy_arn = policy.arn
        self.role_arn = role.arn
