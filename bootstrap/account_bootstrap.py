"""What an AWS account needs once before the node stack can be deployed into it.

A versioned, KMS-encrypted, private, TLS-only S3 bucket for Pulumi state; a KMS key for
the stacks' `awskms://` secrets provider; GitHub Actions' OIDC identity provider; a
deployment role that only GitHub jobs of one environment (and IAM principals of this
account) may assume, scoped to the services the node stack uses; and a read-only role
for previews of pull requests and of main.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.iam import policy_document, tls_only_bucket_policy
from components.kit import TierComponent

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
SECRETS_KEY_ALIAS = "alias/chainlink-pulumi-secrets"
STATE_KEY_ALIAS = "alias/chainlink-pulumi-state"
DEPLOY_ROLE_NAME = "chainlink-node-deployer"      # the stacks' aws:assumeRoles
PREVIEW_ROLE_NAME = "chainlink-node-previewer"
# Every IAM role, instance profile and policy the node stack creates is named chainlink-*.
WORKLOAD_IAM_PREFIX = "chainlink-"
SESSION_SECONDS = 4 * 3600  # a first deployment with Aurora can outlast the 1 h default

# The AWS services the node stack deploys into, limited to the stack's region.
NODE_STACK_SERVICES = ("ec2", "autoscaling", "elasticloadbalancing", "rds", "kms",
                       "secretsmanager", "logs", "cloudwatch", "sns", "dlm", "devops-guru")
# AWS fixes these names for self-managed StackSets (DevOps Guru across accounts).
STACKSET_ROLE_NAMES = ("AWSCloudFormationStackSetAdministrationRole",
                       "AWSCloudFormationStackSetExecutionRole")
# The node stack's bucket for the host agent (components/node.py), autonamed from this.
HOST_FILES_BUCKET_PREFIX = "chainlink-node-host-files-"
# Every role a deployment creates must carry this boundary. Its name is outside the
# chainlink-* prefix deployments may edit, and a Deny guards it besides.
BOUNDARY_POLICY_NAME = "ChainlinkWorkloadBoundary"
# What the node stack's own roles (hosts, flow logs, snapshots, DevOps Guru StackSets)
# may ever do, whatever policies a deployment attaches to them: no IAM, no other service.
WORKLOAD_BOUNDARY_ACTIONS = (
    "ec2:*", "autoscaling:Describe*", "autoscaling:SetInstanceHealth", "logs:*",
    "cloudwatch:*", "ssm:*", "ssmmessages:*", "ec2messages:*",
    "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "kms:Decrypt",
    "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
    "kms:CreateGrant", "s3:GetObject", "sns:*", "devops-guru:*", "cloudformation:*",
    "iam:GetRole", "iam:CreateServiceLinkedRole", "tag:GetResources",
)
# The one role a workload role may become: the StackSets administration role assumes the
# execution role in the target accounts (components/devops_guru.py).
WORKLOAD_ASSUMABLE_ROLES = ("arn:*:iam::*:role/AWSCloudFormationStackSetExecutionRole",)
# Actions that give a role permissions: allowed only when the role carries the boundary.
BOUNDED_ROLE_ACTIONS = ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy",
                        "iam:PutRolePermissionsBoundary")
WORKLOAD_IAM_ACTIONS = (
    "iam:GetRole", "iam:DeleteRole", "iam:UpdateRole",
    "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy", "iam:TagRole",
    "iam:UntagRole", "iam:ListRoleTags", "iam:GetRolePolicy",
    "iam:DeleteRolePolicy", "iam:ListRolePolicies",
    "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    "iam:GetInstanceProfile", "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile",
    "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile", "iam:UntagInstanceProfile", "iam:GetPolicy",
    "iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
    "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
)
# Services the node stack hands its roles to (instance profiles, flow logs, snapshots, RDS).
PASS_ROLE_SERVICES = ("ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com", "dlm.amazonaws.com",
                      "rds.amazonaws.com", "monitoring.rds.amazonaws.com")
SERVICE_LINKED_ROLE_SERVICES = ("autoscaling.amazonaws.com",
                                "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com",
                                "devops-guru.amazonaws.com")
AUTOSCALING_ROLE_PATH = "aws-service-role/autoscaling.amazonaws.com/"
AUTOSCALING_ROLE_ACTIONS = ("iam:GetRole", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
                            "iam:UpdateRoleDescription", "iam:DeleteServiceLinkedRole",
                            "iam:GetServiceLinkedRoleDeletionStatus")
# Write access to the bootstrap's own roles or keys would let a deployment widen its rights
# or lose every stack's secrets.
PROTECTED_IAM_ACTIONS = ("iam:Put*", "iam:Attach*", "iam:Detach*", "iam:Delete*",
                         "iam:Update*", "iam:Create*", "iam:Tag*", "iam:Untag*", "iam:PassRole")
PROTECTED_KMS_ACTIONS = ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy",
                         "kms:DeleteAlias", "kms:UpdateAlias", "kms:DisableKeyRotation")


@dataclass
class AccountBootstrapArgs:
    github_repository: str            # "ORG/REPO"
    deploy_environment: str           # the GitHub environment whose jobs may deploy
    # An existing GitHub OIDC provider (one per account); unset creates it.
    github_oidc_provider_arn: str = ""
    preview_branches: list[str] = field(default_factory=lambda: ["main"])
    protect: bool = True


@dataclass(frozen=True)
class AccountFacts:
    account_id: str
    region: str
    partition: str

    def iam_arn(self, resource: str) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:{resource}"

    @property
    def read_only_policy(self) -> str:
        return f"arn:{self.partition}:iam::aws:policy/ReadOnlyAccess"

    @property
    def root(self) -> str:
        return self.iam_arn("root")

    def bucket_arn(self, bucket: str) -> str:
        return f"arn:{self.partition}:s3:::{bucket}"


def state_bucket_name(account_id: str, region: str) -> str:
    return f"chainlink-pulumi-state-{account_id}-{region}"


def key_policy(facts: AccountFacts) -> str:
    """The account administers the key through IAM: roles get exactly what their policies say."""
    return policy_document({"Sid": "AccountAdministersKeyThroughIam", "Effect": "Allow",
                      "Principal": {"AWS": facts.root}, "Action": "kms:*", "Resource": "*"})


def github_trust_policy(facts: AccountFacts, provider_arn: str, subjects: list[str]) -> str:
    """GitHub jobs whose OIDC subject is listed, and IAM principals of this account that are
    allowed sts:AssumeRole on the role (which lets the CI session assume the role again, as
    the stacks' aws:assumeRoles asks)."""
    return policy_document(
        {"Sid": "GitHubActionsJobs", "Effect": "Allow",
         "Principal": {"Federated": provider_arn},
         "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                                        f"{GITHUB_OIDC_HOST}:sub": subjects}}},
        {"Sid": "PrincipalsOfThisAccountAllowedByIam", "Effect": "Allow",
         "Principal": {"AWS": facts.root}, "Action": "sts:AssumeRole"})


def _state_backend_statements(bucket_arn: str, key_arns: list[str],
                              write: bool) -> list[dict[str, Any]]:
    object_actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] if write \
        else ["s3:GetObject"]
    key_actions = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"] \
        if write else ["kms:Decrypt", "kms:DescribeKey"]
    return [
        {"Sid": "ListStateBucket", "Effect": "Allow",
         "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning"],
         "Resource": bucket_arn},
        {"Sid": "StateObjects", "Effect": "Allow", "Action": object_actions,
         "Resource": f"{bucket_arn}/*"},
        {"Sid": "StateAndSecretsKeys", "Effect": "Allow", "Action": key_actions,
         "Resource": key_arns},
    ]


def _assume_self(facts: AccountFacts, role_name: str) -> dict[str, Any]:
    return {"Sid": "AssumeThisRoleAgainForTheProvider", "Effect": "Allow",
            "Action": "sts:AssumeRole", "Resource": facts.iam_arn(f"role/{role_name}")}


def workload_boundary_policy() -> str:
    return policy_document({"Sid": "WhatTheNodeStacksRolesMayEverDo", "Effect": "Allow",
                      "Action": list(WORKLOAD_BOUNDARY_ACTIONS), "Resource": "*"},
                     {"Sid": "BecomeOnlyTheStackSetsExecutionRole", "Effect": "Allow",
                      "Action": "sts:AssumeRole", "Resource": list(WORKLOAD_ASSUMABLE_ROLES)})


def deploy_policy(facts: AccountFacts, bucket_arn: str, key_arns: list[str]) -> str:
    workload_roles = [facts.iam_arn(f"role/{WORKLOAD_IAM_PREFIX}*"),
                      *(facts.iam_arn(f"role/{name}") for name in STACKSET_ROLE_NAMES)]
    workload = [*workload_roles, facts.iam_arn(f"instance-profile/{WORKLOAD_IAM_PREFIX}*"),
                facts.iam_arn(f"policy/{WORKLOAD_IAM_PREFIX}*")]
    boundary = facts.iam_arn(f"policy/{BOUNDARY_POLICY_NAME}")
    host_files = facts.bucket_arn(f"{HOST_FILES_BUCKET_PREFIX}*")
    bootstrap_roles = [facts.iam_arn(f"role/{name}")
                       for name in (DEPLOY_ROLE_NAME, PREVIEW_ROLE_NAME)]
    return policy_document(
        {"Sid": "NodeStackServicesInItsRegion", "Effect": "Allow",
         "Action": [f"{service}:*" for service in NODE_STACK_SERVICES], "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": facts.region}}},
        {"Sid": "ReadAmiParametersAndCertificates", "Effect": "Allow",
         "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
                    "ssm:DescribeParameters", "acm:DescribeCertificate",
                    "acm:ListCertificates"],
         "Resource": "*"},
        {"Sid": "WorkloadRolesAndProfiles", "Effect": "Allow",
         "Action": list(WORKLOAD_IAM_ACTIONS), "Resource": workload},
        {"Sid": "GiveWorkloadRolesPermissionsOnlyInsideTheBoundary", "Effect": "Allow",
         "Action": list(BOUNDED_ROLE_ACTIONS), "Resource": workload_roles,
         "Condition": {"ArnEquals": {"iam:PermissionsBoundary": boundary}}},
        {"Sid": "HostFilesBuckets", "Effect": "Allow",
         "Action": ["s3:CreateBucket", "s3:DeleteBucket*", "s3:Get*", "s3:List*", "s3:Put*",
                    "s3:DeleteObject*"],
         "Resource": [host_files, f"{host_files}/*"]},
        {"Sid": "PassWorkloadRolesToTheirServices", "Effect": "Allow",
         "Action": "iam:PassRole", "Resource": workload[0],
         "Condition": {"StringEquals": {"iam:PassedToService": list(PASS_ROLE_SERVICES)}}},
        # A group launching through a service-linked role of its own (the data key admits
        # only that one) needs the role passed to it.
        {"Sid": "PassTheNodeGroupsAutoScalingRole", "Effect": "Allow",
         "Action": "iam:PassRole",
         "Resource": facts.iam_arn(f"role/{AUTOSCALING_ROLE_PATH}"
                                   f"AWSServiceRoleForAutoScaling_{WORKLOAD_IAM_PREFIX}*"),
         "Condition": {"StringEquals": {"iam:PassedToService": "autoscaling.amazonaws.com"}}},
        # The provider tags the group's role right after creating it (aws:defaultTags),
        # reads it back, and deletes it through the service-linked role API.
        {"Sid": "TheNodeGroupsAutoScalingRole", "Effect": "Allow",
         "Action": list(AUTOSCALING_ROLE_ACTIONS),
         "Resource": facts.iam_arn(f"role/{AUTOSCALING_ROLE_PATH}"
                                   f"AWSServiceRoleForAutoScaling_{WORKLOAD_IAM_PREFIX}*")},
        {"Sid": "ServiceLinkedRoles", "Effect": "Allow",
         "Action": "iam:CreateServiceLinkedRole",
         "Resource": facts.iam_arn("role/aws-service-role/*"),
         "Condition": {"StringEquals": {"iam:AWSServiceName":
                                        list(SERVICE_LINKED_ROLE_SERVICES)}}},
        *_state_backend_statements(bucket_arn, key_arns, write=True),
        _assume_self(facts, DEPLOY_ROLE_NAME),
        {"Sid": "NeverChangeTheBootstrapRoles", "Effect": "Deny",
         "Action": list(PROTECTED_IAM_ACTIONS), "Resource": bootstrap_roles},
        {"Sid": "NeverLiftOrWidenTheBoundary", "Effect": "Deny",
         "Action": ["iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion",
                    "iam:DeletePolicy", "iam:DeletePolicyVersion",
                    "iam:SetDefaultPolicyVersion"],
         "Resource": [*workload_roles, boundary]},
        {"Sid": "NeverDisableTheStateOrSecretsKeys", "Effect": "Deny",
         "Action": list(PROTECTED_KMS_ACTIONS), "Resource": key_arns},
    )


def preview_policy(facts: AccountFacts, bucket_arn: str, key_arns: list[str]) -> str:
    """On top of ReadOnlyAccess: read state and decrypt the stacks' secrets."""
    return policy_document(*_state_backend_statements(bucket_arn, key_arns, write=False),
                     _assume_self(facts, PREVIEW_ROLE_NAME))


def github_subjects(repository: str, environment: str | None = None,
                    branches: list[str] | None = None) -> list[str]:
    """OIDC `sub` claims: jobs of one GitHub environment, or pull requests and branches."""
    if environment is not None:
        return [f"repo:{repository}:environment:{environment}"]
    return [f"repo:{repository}:pull_request",
            *(f"repo:{repository}:ref:refs/heads/{branch}" for branch in branches or [])]


class AccountBootstrap(TierComponent):
    """State bucket, secrets key and CI roles for one account; run once per account."""

    TYPE = "chainlink:index:AccountBootstrap"

    state_bucket_name: pulumi.Output[str]
    backend_url: pulumi.Output[str]
    secrets_provider: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    permissions_boundary_arn: pulumi.Output[str]

    def _build(self, name: str, args: AccountBootstrapArgs) -> None:
        facts = self._account_facts()

        state_key = self._key("state", "Pulumi state bucket", STATE_KEY_ALIAS, facts)
        secrets_key = self._key("secrets", "Pulumi secrets provider (awskms://)",
                                SECRETS_KEY_ALIAS, facts)
        bucket, bucket_arn = self._state_bucket(facts, state_key)
        key_arns = pulumi.Output.all(state_key.arn, secrets_key.arn)
        provider_arn = self._oidc_provider_arn()
        boundary = aws.iam.Policy(
            f"{name}-workload-boundary", name=BOUNDARY_POLICY_NAME,
            description="Permissions boundary of every role the node stack creates",
            policy=workload_boundary_policy(), opts=self._child(stateful=True))

        trust_facts = pulumi.Output.all(facts, provider_arn)
        policy_facts = pulumi.Output.all(facts, bucket_arn, key_arns)
        deploy_role = self._role(
            DEPLOY_ROLE_NAME, "deploy", "chainlink-node-aws deployments (pulumi up)",
            github_subjects(args.github_repository, environment=args.deploy_environment),
            trust_facts, policy_facts.apply(lambda values: deploy_policy(*values)))
        preview_role = self._role(
            PREVIEW_ROLE_NAME, "preview", "chainlink-node-aws previews (read-only)",
            github_subjects(args.github_repository, branches=args.preview_branches),
            trust_facts, policy_facts.apply(lambda values: preview_policy(*values)))
        aws.iam.RolePolicyAttachment(f"{name}-preview-read-only", role=preview_role.name,
                                     policy_arn=facts.apply(lambda f: f.read_only_policy),
                                     opts=self._child())

        region = facts.apply(lambda f: f.region)
        self.state_bucket_name = bucket.bucket
        self.backend_url = pulumi.Output.concat("s3://", bucket.bucket, "?region=", region)
        self.secrets_provider = pulumi.Output.concat("awskms://", SECRETS_KEY_ALIAS,
                                                     "?region=", region)
        self.deploy_role_arn = deploy_role.arn
        self.preview_role_arn = preview_role.arn
        self.oidc_provider_arn = provider_arn
        self.permissions_boundary_arn = boundary.arn

    def _account_facts(self) -> pulumi.Output[AccountFacts]:
        invoke = pulumi.InvokeOptions(parent=self)
        return pulumi.Output.all(aws.get_caller_identity_output(opts=invoke).account_id,
                                 aws.get_region_output(opts=invoke).region,
                                 aws.get_partition_output(opts=invoke).partition
                                 ).apply(lambda values: AccountFacts(*values))

    def _key(self, purpose: str, description: str, alias: str,
             facts: pulumi.Output[AccountFacts]) -> aws.kms.Key:
        key = aws.kms.Key(
            f"{self._name}-{purpose}-key",
            description=f"chainlink-node-aws: {description}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=facts.apply(key_policy),
            opts=self._child(stateful=True))
        aws.kms.Alias(f"{self._name}-{purpose}-key-alias", name=alias,
                      target_key_id=key.key_id, opts=self._child())
        return key

    def _state_bucket(self, facts: pulumi.Output[AccountFacts], key: aws.kms.Key
                      ) -> tuple[aws.s3.Bucket, pulumi.Output[str]]:
        name = self._name
        bucket = aws.s3.Bucket(
            f"{name}-state",
            bucket=facts.apply(lambda f: state_bucket_name(f.account_id, f.region)),
            opts=self._child(stateful=True))
        # Children name the bucket by its name (which is also its id) so that every
        # reader, the policy pack included, can tell which bucket they configure.
        bucket_name = bucket.bucket
        bucket_arn = pulumi.Output.all(facts, bucket_name).apply(
            lambda values: values[0].bucket_arn(values[1]))
        aws.s3.BucketOwnershipControls(
            f"{name}-state-ownership", bucket=bucket_name,
            rule={"object_ownership": "BucketOwnerEnforced"}, opts=self._child())
        aws.s3.BucketVersioning(
            f"{name}-state-versioning", bucket=bucket_name,
            versioning_configuration={"status": "Enabled"}, opts=self._child())
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-state-encryption", bucket=bucket_name,
            rules=[{"apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
                    "bucket_key_enabled": True}],
            opts=self._child())
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-state-public-access", bucket=bucket_name,
            block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=self._child())
        aws.s3.BucketPolicy(
            f"{name}-state-tls-only", bucket=bucket_name,
            policy=bucket_arn.apply(tls_only_bucket_policy),
            opts=self._child(depends_on=[public_access]))
        return bucket, bucket_arn

    def _oidc_provider_arn(self) -> pulumi.Output[str]:
        if self._args.github_oidc_provider_arn:
            return pulumi.Output.from_input(self._args.github_oidc_provider_arn)
        provider = aws.iam.OpenIdConnectProvider(
            f"{self._name}-github-oidc", url=f"https://{GITHUB_OIDC_HOST}",
            client_id_lists=[STS_AUDIENCE], opts=self._child())
        return provider.arn

    def _role(self, role_name: str, purpose: str, description: str, subjects: list[str],
              trust_facts: pulumi.Output[list], policy: pulumi.Output[str]) -> aws.iam.Role:
        """`trust_facts`: the account's facts and the OIDC provider's ARN."""
        role = aws.iam.Role(
            f"{self._name}-{purpose}-role", name=role_name, description=description,
            max_session_duration=SESSION_SECONDS,
            assume_role_policy=trust_facts.apply(
                lambda values: github_trust_policy(*values, subjects)),
            opts=self._child())
        aws.iam.RolePolicy(f"{self._name}-{purpose}-policy", role=role.name, policy=policy,
                           opts=self._child())
        return role
