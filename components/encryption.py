"""The customer-managed key for telemetry: CloudWatch Logs and the alarm SNS topics."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.iam import policy_document
from components.kit import TierComponent


@dataclass
class EncryptionArgs:
    context: AwsContext
    # Days a scheduled key deletion can still be cancelled (7 to 30).
    deletion_window_days: int = 30
    protect: bool = False


def telemetry_key_policy(account_id: str, region: str, partition: str) -> str:
    root = f"arn:{partition}:iam::{account_id}:root"
    log_groups = f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
    return policy_document(
        {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*",
                       "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
        },
        {
            "Sid": "CloudWatchAlarmsPublishToEncryptedTopics",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        })


class Encryption(TierComponent):
    """A rotating customer-managed KMS key for logs and alarm notifications."""

    TYPE = "chainlink:index:Encryption"

    telemetry_key_arn: pulumi.Output[str]

    def _build(self, name: str, args: EncryptionArgs) -> None:
        context = args.context
        policy = pulumi.Output.all(context.account_id, context.region, context.partition
                                   ).apply(lambda values: telemetry_key_policy(*values))
        self.telemetry_key = aws.kms.Key(
            f"{name}-telemetry-key",
            description="chainlink-node-aws: CloudWatch Logs and alarm topics",
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=policy,
            opts=self._child(stateful=True))
        aws.kms.Alias(
            f"{name}-telemetry-key-alias",
            name_prefix="alias/chainlink-telemetry-",
            target_key_id=self.telemetry_key.key_id,
            opts=self._child())
        self.telemetry_key_arn = self.telemetry_key.arn
