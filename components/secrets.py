"""Secrets tier: the data key and the node's secrets in Secrets Manager."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.iam import policy_document
from components.interfaces import NodeSecretAccess
from components.kit import TierComponent
from components.secret_value import SecretValue

# Secrets Manager and KMS both accept 7 to 30 days; 0 would mean "delete at once".
MIN_RECOVERY_WINDOW_DAYS, MAX_RECOVERY_WINDOW_DAYS = 7, 30
AUTOSCALING_SERVICE = "autoscaling.amazonaws.com"
# What the Auto Scaling service-linked role needs to launch hosts with volumes encrypted
# under a customer-managed key (the statements AWS documents for that case).
VOLUME_KEY_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
                      "kms:GenerateDataKey*", "kms:DescribeKey"]


@dataclass
class SecretsArgs:
    context: AwsContext
    api_user_email: str
    api_password: SecretValue
    keystore_password: SecretValue
    # The RPC secret's fields (components.chains.rpc_secret_document): URLs by chain and node.
    rpc_urls: dict[str, str]
    # Days a deleted secret or a key scheduled for deletion can still be recovered.
    recovery_window_days: int = 30
    protect: bool = False

    def __post_init__(self) -> None:
        if not MIN_RECOVERY_WINDOW_DAYS <= self.recovery_window_days <= MAX_RECOVERY_WINDOW_DAYS:
            raise ValueError(f"recovery_window_days must be {MIN_RECOVERY_WINDOW_DAYS} to "
                             f"{MAX_RECOVERY_WINDOW_DAYS}: secrets are never force-deleted")


def data_key_policy(account_id: str, partition: str, autoscaling_role_arn: str) -> str:
    """Use of the key goes through IAM, except for the one role IAM cannot grant it to.

    The account statement lets IAM policies grant the key (the node role gets
    kms:Decrypt only via Secrets Manager; RDS and EBS use it through grants made for the
    deploying principal). Only this stack's Auto Scaling service-linked role is named,
    because service-linked roles cannot be given IAM policies.
    """
    root = f"arn:{partition}:iam::{account_id}:root"
    return policy_document(
        {"Sid": "AccountAdministersKeyThroughIam", "Effect": "Allow",
         "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "AutoScalingEncryptsHostVolumes", "Effect": "Allow",
         "Principal": {"AWS": autoscaling_role_arn},
         "Action": VOLUME_KEY_ACTIONS, "Resource": "*"},
        {"Sid": "AutoScalingGrantsForAttachedVolumes", "Effect": "Allow",
         "Principal": {"AWS": autoscaling_role_arn}, "Action": "kms:CreateGrant",
         "Resource": "*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}})


class Secrets(TierComponent):
    """A rotating customer-managed key for the node's data, and the secrets the host reads.

    Secret values come from stack config secrets and stay secret in Pulumi's state.
    """

    TYPE = "chainlink:index:Secrets"

    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    autoscaling_service_role_arn: pulumi.Output[str]
    api_credentials_secret_arn: pulumi.Output[str]
    keystore_password_secret_arn: pulumi.Output[str]
    rpc_secret_arn: pulumi.Output[str]

    def _build(self, name: str, args: SecretsArgs) -> None:
        context = args.context
        # The node hosts' Auto Scaling group launches through this role (its
        # service_linked_role_arn), so only this stack's group can use the data key; and it
        # exists before the key policy names it, which KMS insists on.
        autoscaling_role = aws.iam.ServiceLinkedRole(
            f"{name}-autoscaling-role", aws_service_name=AUTOSCALING_SERVICE,
            custom_suffix=f"{name}-{pulumi.get_stack()}",
            description="Launches the chainlink node hosts with volumes on the data key",
            opts=self._child())
        self.autoscaling_service_role_arn = autoscaling_role.arn
        self.key = aws.kms.Key(
            f"{name}-data-key",
            description="chainlink-node-aws: node secrets, database storage, host volumes",
            enable_key_rotation=True,
            deletion_window_in_days=args.recovery_window_days,
            policy=pulumi.Output.all(context.account_id, context.partition,
                                     autoscaling_role.arn).apply(
                lambda values: data_key_policy(*values)),
            opts=self._child(stateful=True))
        aws.kms.Alias(f"{name}-data-key-alias", name_prefix="alias/chainlink-data-",
                      target_key_id=self.key.key_id, opts=self._child())
        self.key_arn = self.key.arn
        self.key_id = self.key.key_id

        self.api_credentials_secret_arn = self._secret(
            "api-credentials", "The node's admin user (e-mail, password).",
            {"email": args.api_user_email, "password": args.api_password.reveal()})
        # Replacing this value would lock the node out of its keys, so in a protected stack
        # Pulumi refuses it (a new secret string replaces the version).
        self.keystore_password_secret_arn = self._secret(
            "keystore-password", "Password of the node's keystore.",
            {"password": args.keystore_password.reveal()}, protect_value=True)
        self.rpc_secret_arn = self._secret(
            "rpc-urls", "RPC endpoints of the chain clients (URLs may embed API keys).",
            dict(args.rpc_urls))

    @property
    def node_access(self) -> NodeSecretAccess:
        """What the node tier needs of this one."""
        return NodeSecretAccess(
            key_arn=self.key_arn, autoscaling_service_role_arn=self.autoscaling_service_role_arn,
            api_credentials_secret_arn=self.api_credentials_secret_arn,
            keystore_password_secret_arn=self.keystore_password_secret_arn,
            rpc_secret_arn=self.rpc_secret_arn)

    def _secret(self, purpose: str, description: str, value: dict[str, str],
                protect_value: bool = False) -> pulumi.Output[str]:
        secret = aws.secretsmanager.Secret(
            f"{self._name}-{purpose}",
            name_prefix=f"chainlink/{purpose}-",
            description=description,
            kms_key_id=self.key.arn,
            recovery_window_in_days=self._args.recovery_window_days,
            opts=self._child(stateful=True))
        aws.secretsmanager.SecretVersion(
            f"{self._name}-{purpose}-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(json.dumps(value)),
            # Only a value asked for (the keystore password), and only when the tier protects.
            opts=self._child(protect=bool(self._protects_state) and protect_value))
        return secret.arn
