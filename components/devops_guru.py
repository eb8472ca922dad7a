"""DevOps Guru tier (optional): anomaly detection over this stack's resources.

What the Quick Start did, without its two weak points: insights go to their own SNS
topic on their own rotating key (so DevOps Guru never gets to use the telemetry key),
and the StackSets execution role can do what setting up DevOps Guru needs and nothing
else, instead of `AdministratorAccess`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.iam import policy_document
from components.kit import TierComponent
from components.tags import DEVOPS_GURU_TAG_KEY

# DevOps Guru only accepts boundary tag keys with this prefix. The stack files put this
# key into `aws:defaultTags` with the stack's name as value, so every taggable resource
# of the stack is inside the boundary and nothing else in the account is.
BOUNDARY_TAG_KEY = DEVOPS_GURU_TAG_KEY
# The names CloudFormation StackSets looks for by default (self-managed permissions).
ADMINISTRATION_ROLE_NAME = "AWSCloudFormationStackSetAdministrationRole"
EXECUTION_ROLE_NAME = "AWSCloudFormationStackSetExecutionRole"
INSIGHT_SEVERITIES = ["MEDIUM", "HIGH"]


@dataclass
class DevOpsGuruArgs:
    context: AwsContext
    stack: str
    notification_email: str | None = None
    # Account whose StackSets administration role may set up DevOps Guru here; None means
    # this account administers itself, and then its administration role is made too.
    administrator_account_id: str | None = None
    deletion_window_days: int = 30
    protect: bool = False


def _statement(sid: str, actions: list[str], resources: list[str] | str,
               condition: dict | None = None) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def devops_guru_principals(region: str) -> list[str]:
    # DevOps Guru's documentation names the regional principal for topics and the
    # global one for keys; both are allowed so neither form is refused.
    return ["devops-guru.amazonaws.com", f"{region}.devops-guru.amazonaws.com"]


def notification_key_policy(account_id: str, region: str, partition: str) -> str:
    return policy_document(
        {"Sid": "AccountAdministersKeyThroughIam", "Effect": "Allow",
         "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "DevOpsGuruPublishesToEncryptedTopic", "Effect": "Allow",
         "Principal": {"Service": devops_guru_principals(region)},
         "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}},
    )


def notification_topic_policy(topic_arn: str, account_id: str, region: str,
                              partition: str) -> str:
    return policy_document({
        "Sid": "DevOpsGuruPublishesInsights", "Effect": "Allow",
        "Principal": {"Service": devops_guru_principals(region)},
        "Action": "sns:Publish", "Resource": topic_arn,
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn":
                        f"arn:{partition}:devops-guru:{region}:{account_id}:channel/*"},
        },
    })


def administration_trust_policy(account_id: str) -> str:
    return policy_document({
        "Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    })


def administration_policy(partition: str) -> str:
    """The administration role can do one thing: become the execution role in the
    target accounts."""
    return policy_document(_statement("AssumeExecutionRoleInTargetAccounts", ["sts:AssumeRole"],
                                      f"arn:{partition}:iam::*:role/{EXECUTION_ROLE_NAME}"))


def execution_trust_policy(administrator_account_id: str, partition: str) -> str:
    """Trusts the administrator account's administration role only. The condition names
    the role instead of the principal, so the trust can be created before that role
    exists in the other account."""
    administrator = f"arn:{partition}:iam::{administrator_account_id}"
    return policy_document({
        "Effect": "Allow", "Principal": {"AWS": f"{administrator}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"ArnEquals": {
            "aws:PrincipalArn": f"{administrator}:role/{ADMINISTRATION_ROLE_NAME}"}},
    })


def execution_policy(account_id: str, partition: str, key_arn: str) -> str:
    """What a StackSet that sets up DevOps Guru needs in this account: its own stack,
    DevOps Guru's configuration, its notification topic and the service-linked role."""
    return policy_document(
        _statement("ManageStackSetInstanceStacks", [
            "cloudformation:CreateStack", "cloudformation:UpdateStack",
            "cloudformation:DeleteStack", "cloudformation:DescribeStacks",
            "cloudformation:DescribeStackEvents", "cloudformation:DescribeStackResources",
            "cloudformation:GetTemplate", "cloudformation:CreateChangeSet",
            "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet",
            "cloudformation:DeleteChangeSet", "cloudformation:TagResource",
            "cloudformation:UntagResource"],
            f"arn:{partition}:cloudformation:*:{account_id}:stack/StackSet-*/*"),
        _statement("ConfigureDevOpsGuru", [
            "devops-guru:AddNotificationChannel", "devops-guru:RemoveNotificationChannel",
            "devops-guru:ListNotificationChannels", "devops-guru:UpdateResourceCollection",
            "devops-guru:GetResourceCollection",
            "devops-guru:DescribeResourceCollectionHealth"], "*"),
        _statement("ManageStackSetNotificationTopics", [
            "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes",
            "sns:SetTopicAttributes", "sns:Subscribe",
            "sns:ListSubscriptionsByTopic", "sns:TagResource", "sns:UntagResource"],
            f"arn:{partition}:sns:*:{account_id}:StackSet-*"),
        # Unsubscribe names a subscription, not a topic: it has no resource type to scope.
        _statement("RemoveStackSetTopicSubscriptions", ["sns:Unsubscribe"], "*"),
        _statement("UseTheNotificationKey",
                   ["kms:DescribeKey", "kms:GenerateDataKey*", "kms:Decrypt"], key_arn),
        _statement("CreateDevOpsGuruServiceLinkedRole", ["iam:CreateServiceLinkedRole"],
                   f"arn:{partition}:iam::{account_id}:role/aws-service-role/"
                   "devops-guru.amazonaws.com/*",
                   {"StringEquals": {"iam:AWSServiceName": "devops-guru.amazonaws.com"}}),
    )


class DevOpsGuru(TierComponent):
    """DevOps Guru over the resources tagged with this stack, insights to an encrypted
    topic, and least-privilege StackSets roles for organisation-wide set-up."""

    TYPE = "chainlink:index:DevOpsGuru"

    topic_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    administration_role_arn: pulumi.Output[str] | None

    def _build(self, name: str, args: DevOpsGuruArgs) -> None:
        context = args.context
        key = aws.kms.Key(
            f"{name}-key", description="chainlink-node-aws: DevOps Guru insight topic",
            enable_key_rotation=True, deletion_window_in_days=args.deletion_window_days,
            policy=pulumi.Output.all(context.account_id, context.region, context.partition
                                     ).apply(lambda v: notification_key_policy(*v)),
            opts=self._child(stateful=True))
        aws.kms.Alias(f"{name}-key-alias", name_prefix="alias/chainlink-devops-guru-",
                      target_key_id=key.key_id, opts=self._child())
        self.key_arn = key.arn
        self.topic_arn = self._notifications(args, key)
        aws.devopsguru.ResourceCollection(
            f"{name}-resources", type="AWS_TAGS",
            tags={"app_boundary_key": BOUNDARY_TAG_KEY, "tag_values": [args.stack]},
            opts=self._child())

        administrator_account_id: pulumi.Input[str]
        if args.administrator_account_id is None:
            self.administration_role_arn = self._administration_role(context)
            administrator_account_id = context.account_id
        else:
            self.administration_role_arn = None
            administrator_account_id = args.administrator_account_id
        self.execution_role_arn = self._execution_role(context, administrator_account_id)

    def _notifications(self, args: DevOpsGuruArgs, key: aws.kms.Key) -> pulumi.Output[str]:
        context = args.context
        topic = aws.sns.Topic(f"{self._name}-insights", kms_master_key_id=key.arn,
                              opts=self._child())
        policy = aws.sns.TopicPolicy(
            f"{self._name}-insights-policy", arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, context.account_id, context.region,
                                     context.partition
                                     ).apply(lambda v: notification_topic_policy(*v)),
            opts=self._child())
        if args.notification_email:
            aws.sns.TopicSubscription(f"{self._name}-insights-email", topic=topic.arn,
                                      protocol="email", endpoint=args.notification_email,
                                      opts=self._child())
        aws.devopsguru.NotificationChannel(
            f"{self._name}-channel", sns={"topic_arn": topic.arn},
            filters={"severities": INSIGHT_SEVERITIES},
            opts=self._child(depends_on=[policy]))
        return topic.arn

    def _administration_role(self, context: AwsContext) -> pulumi.Output[str]:
        role = aws.iam.Role(
            f"{self._name}-stackset-administration", name=ADMINISTRATION_ROLE_NAME,
            description="CloudFormation StackSets administration: may only assume the "
                        "DevOps Guru execution role",
            assume_role_policy=context.account_id.apply(administration_trust_policy),
            opts=self._child())
        aws.iam.RolePolicy(
            f"{self._name}-stackset-administration-policy", role=role.id,
            policy=context.partition.apply(administration_policy), opts=self._child())
        return role.arn

    def _execution_role(self, context: AwsContext,
                        administrator_account_id: pulumi.Input[str]) -> pulumi.Output[str]:
        role = aws.iam.Role(
            f"{self._name}-stackset-execution", name=EXECUTION_ROLE_NAME,
            description="CloudFormation StackSets execution: sets up DevOps Guru only",
            assume_role_policy=pulumi.Output.all(administrator_account_id, context.partition
                                                 ).apply(lambda v: execution_trust_policy(*v)),
            opts=self._child())
        aws.iam.RolePolicy(
            f"{self._name}-stackset-execution-policy", role=role.id,
            policy=pulumi.Output.all(context.account_id, context.partition, self.key_arn
                                     ).apply(lambda v: execution_policy(*v)),
            opts=self._child())
        return role.arn
