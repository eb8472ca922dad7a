"""The AWS calls a deployment makes for each planned resource, and the role that makes them.

For each Pulumi type, the calls pulumi-aws (the Terraform AWS provider underneath) makes
to create it, tag it (the stacks set `aws:defaultTags`), read it back on refresh, update
it and delete it, with the ARN each call is authorised against and the condition keys
AWS puts in its request context. Action names and resource types follow the Service
Authorization Reference that parliament ships (iam_definition.json); a test checks that
every action named here exists there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.constraints.cfn import AUTONAME_SUFFIX
from tests.constraints.planned import Plan, Planned


@dataclass(frozen=True)
class Call:
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)
    planned: str = ""   # the planned resource that needs it

    def __str__(self) -> str:
        return f"{self.action} on {self.resource} (for {self.planned})"


# Per Pulumi type: (service, actions). The ARN of each is built by ARNS below; "*" where
# the action has no resource type (creates, describes of the whole account).
REGIONAL_CALLS: dict[str, tuple[str, ...]] = {
    "aws:ec2/vpc:Vpc": ("ec2:CreateVpc", "ec2:ModifyVpcAttribute", "ec2:DescribeVpcs",
                        "ec2:DescribeVpcAttribute", "ec2:CreateTags", "ec2:DeleteVpc"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (
        "ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress", "ec2:CreateTags"),
    "aws:ec2/subnet:Subnet": ("ec2:CreateSubnet", "ec2:ModifySubnetAttribute",
                              "ec2:DescribeSubnets", "ec2:CreateTags", "ec2:DeleteSubnet"),
    "aws:ec2/internetGateway:InternetGateway": (
        "ec2:CreateInternetGateway", "ec2:AttachInternetGateway", "ec2:DescribeInternetGateways",
        "ec2:CreateTags", "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"),
    "aws:ec2/eip:Eip": ("ec2:AllocateAddress", "ec2:DescribeAddresses", "ec2:CreateTags",
                        "ec2:ReleaseAddress"),
    "aws:ec2/natGateway:NatGateway": ("ec2:CreateNatGateway", "ec2:DescribeNatGateways",
                                      "ec2:CreateTags", "ec2:DeleteNatGateway"),
    "aws:ec2/routeTable:RouteTable": ("ec2:CreateRouteTable", "ec2:CreateRoute",
                                      "ec2:DescribeRouteTables", "ec2:CreateTags",
                                      "ec2:DeleteRoute", "ec2:DeleteRouteTable"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (
        "ec2:AssociateRouteTable", "ec2:DescribeRouteTables", "ec2:DisassociateRouteTable"),
    "aws:ec2/flowLog:FlowLog": ("ec2:CreateFlowLogs", "ec2:DescribeFlowLogs", "ec2:CreateTags",
                                "ec2:DeleteFlowLogs"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("ec2:CreateVpcEndpoint", "ec2:DescribeVpcEndpoints",
                                        "ec2:ModifyVpcEndpoint", "ec2:CreateTags",
                                        "ec2:DeleteVpcEndpoints"),
    "aws:ec2/securityGroup:SecurityGroup": (
        "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress",
        "ec2:DescribeSecurityGroups", "ec2:CreateTags", "ec2:DeleteSecurityGroup"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ec2:AuthorizeSecurityGroupIngress", "ec2:DescribeSecurityGroupRules",
        "ec2:CreateTags", "ec2:RevokeSecurityGroupIngress"),
    "aws:ec2/launchTemplate:LaunchTemplate": (
        "ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion",
        "ec2:ModifyLaunchTemplate", "ec2:DescribeLaunchTemplates",
        "ec2:DescribeLaunchTemplateVersions", "ec2:CreateTags", "ec2:DeleteLaunchTemplate",
        "ssm:GetParameter"),
    "aws:autoscaling/group:Group": (
        "autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup",
        "autoscaling:DescribeAutoScalingGroups", "autoscaling:EnableMetricsCollection",
        "autoscaling:CreateOrUpdateTags", "autoscaling:StartInstanceRefresh",
        "autoscaling:DescribeInstanceRefreshes", "autoscaling:DeleteAutoScalingGroup",
        "ec2:RunInstances", "ec2:DescribeLaunchTemplateVersions"),
    "aws:lb/loadBalancer:LoadBalancer": (
        "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:AddTags",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DeleteLoadBalancer"),
    "aws:lb/targetGroup:TargetGroup": (
        "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:AddTags",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DeleteTargetGroup"),
    "aws:lb/listener:Listener": (
        "elasticloadbalancing:CreateListener", "elasticloadbalancing:AddTags",
        "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:DeleteListener", "acm:DescribeCertificate"),
    "aws:rds/cluster:Cluster": (
        "rds:CreateDBCluster", "rds:AddTagsToResource", "rds:DescribeDBClusters",
        "rds:ModifyDBCluster", "rds:ListTagsForResource", "rds:DeleteDBCluster",
        "rds:CreateDBClusterSnapshot", "kms:CreateGrant", "kms:DescribeKey",
        "secretsmanager:CreateSecret", "secretsmanager:TagResource"),
    "aws:rds/clusterInstance:ClusterInstance": (
        "rds:CreateDBInstance", "rds:AddTagsToResource", "rds:DescribeDBInstances",
        "rds:ModifyDBInstance", "rds:DeleteDBInstance"),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": (
        "rds:CreateDBClusterParameterGroup", "rds:ModifyDBClusterParameterGroup",
        "rds:DescribeDBClusterParameters", "rds:AddTagsToResource",
        "rds:DeleteDBClusterParameterGroup"),
    "aws:rds/subnetGroup:SubnetGroup": ("rds:CreateDBSubnetGroup", "rds:DescribeDBSubnetGroups",
                                        "rds:AddTagsToResource", "rds:DeleteDBSubnetGroup"),
    "aws:kms/key:Key": ("kms:CreateKey", "kms:TagResource", "kms:DescribeKey",
                        "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:EnableKeyRotation",
                        "kms:GetKeyRotationStatus", "kms:ListResourceTags",
                        "kms:ScheduleKeyDeletion"),
    "aws:kms/alias:Alias": ("kms:CreateAlias", "kms:ListAliases", "kms:UpdateAlias",
                            "kms:DeleteAlias"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs:CreateLogGroup", "logs:PutRetentionPolicy",
                                         "logs:AssociateKmsKey", "logs:TagResource",
                                         "logs:DescribeLogGroups", "logs:ListTagsForResource",
                                         "logs:DeleteLogGroup"),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": (
        "logs:PutMetricFilter", "logs:DescribeMetricFilters", "logs:DeleteMetricFilter"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:TagResource",
        "cloudwatch:ListTagsForResource", "cloudwatch:DeleteAlarms"),
    "aws:cloudwatch/dashboard:Dashboard": ("cloudwatch:PutDashboard", "cloudwatch:GetDashboard",
                                           "cloudwatch:DeleteDashboards"),
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": (
        "dlm:CreateLifecyclePolicy", "dlm:GetLifecyclePolicy", "dlm:UpdateLifecyclePolicy",
        "dlm:TagResource", "dlm:DeleteLifecyclePolicy"),
    "aws:secretsmanager/secret:Secret": (
        "secretsmanager:CreateSecret", "secretsmanager:TagResource",
        "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy",
        "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret"),
    "aws:secretsmanager/secretVersion:SecretVersion": (
        "secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret", "secretsmanager:UpdateSecretVersionStage"),
    "aws:secretsmanager/secretRotation:SecretRotation": (
        "secretsmanager:RotateSecret", "secretsmanager:DescribeSecret",
        "secretsmanager:CancelRotateSecret"),
    "aws:sns/topic:Topic": ("sns:CreateTopic", "sns:TagResource", "sns:GetTopicAttributes",
                            "sns:SetTopicAttributes", "sns:ListTagsForResource",
                            "sns:DeleteTopic"),
    "aws:sns/topicPolicy:TopicPolicy": ("sns:SetTopicAttributes", "sns:GetTopicAttributes"),
    "aws:sns/topicSubscription:TopicSubscription": (
        "sns:Subscribe", "sns:GetSubscriptionAttributes", "sns:Unsubscribe"),
    "aws:devopsguru/resourceCollection:ResourceCollection": (
        "devops-guru:UpdateResourceCollection", "devops-guru:GetResourceCollection"),
    "aws:devopsguru/notificationChannel:NotificationChannel": (
        "devops-guru:AddNotificationChannel", "devops-guru:ListNotificationChannels",
        "devops-guru:RemoveNotificationChannel"),
}

IAM_ROLE_CALLS = ("iam:CreateRole", "iam:GetRole", "iam:TagRole", "iam:ListRoleTags",
                  "iam:UpdateAssumeRolePolicy", "iam:UpdateRoleDescription",
                  "iam:PutRolePermissionsBoundary", "iam:ListRolePolicies",
                  "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
                  "iam:DeleteRole")
ROLE_POLICY_CALLS = ("iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy")
ATTACHMENT_CALLS = ("iam:AttachRolePolicy", "iam:ListAttachedRolePolicies",
                    "iam:DetachRolePolicy")
INSTANCE_PROFILE_CALLS = ("iam:CreateInstanceProfile", "iam:GetInstanceProfile",
                          "iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile",
                          "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile")
SERVICE_LINKED_ROLE_CALLS = ("iam:CreateServiceLinkedRole", "iam:GetRole", "iam:TagRole",
                             "iam:ListRoleTags", "iam:UpdateRoleDescription",
                             "iam:DeleteServiceLinkedRole",
                             "iam:GetServiceLinkedRoleDeletionStatus")
BUCKET_CALLS = ("s3:CreateBucket", "s3:PutBucketTagging", "s3:GetBucketTagging",
                "s3:ListBucket", "s3:GetBucketAcl", "s3:GetBucketPolicy",
                "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration",
                "s3:GetLifecycleConfiguration", "s3:GetBucketLogging",
                "s3:GetReplicationConfiguration", "s3:GetBucketObjectLockConfiguration",
                "s3:DeleteBucket")
BUCKET_PART_CALLS: dict[str, tuple[str, ...]] = {
    "aws:s3/bucketPolicy:BucketPolicy": ("s3:PutBucketPolicy", "s3:GetBucketPolicy",
                                         "s3:DeleteBucketPolicy"),
    "aws:s3/bucketVersioning:BucketVersioning": ("s3:PutBucketVersioning",
                                                 "s3:GetBucketVersioning"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        ("s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        "s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
}
OBJECT_CALLS = ("s3:PutObject", "s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging",
                "s3:DeleteObject")
# Roles the stacks hand to a service: (type, input holding the role's ARN, service).
PASSED_ROLES = (("aws:ec2/flowLog:FlowLog", "iamRoleArn", "vpc-flow-logs.amazonaws.com"),
                ("aws:dlm/lifecyclePolicy:LifecyclePolicy", "executionRoleArn",
                 "dlm.amazonaws.com"),
                ("aws:autoscaling/group:Group", "serviceLinkedRoleArn",
                 "autoscaling.amazonaws.com"))
SERVICE_LINKED_ROLE_NAMES = {"autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling",
                             "elasticloadbalancing.amazonaws.com":
                                 "AWSServiceRoleForElasticLoadBalancing",
                             "rds.amazonaws.com": "AWSServiceRoleForRDS",
                             "devops-guru.amazonaws.com": "AWSServiceRoleForDevOpsGuru"}
# Types that make no AWS call at all.
NO_CALLS = frozenset({"random:index/randomId:RandomId"})


class Arns:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.prefix = f"arn:{plan.partition}"

    def regional(self, service: str, resource: str) -> str:
        return f"{self.prefix}:{service}:{self.plan.region}:{self.plan.account_id}:{resource}"

    def iam(self, resource: str) -> str:
        return f"{self.prefix}:iam::{self.plan.account_id}:{resource}"


def physical_name(resource: Planned, key: str = "name") -> str:
    """The name AWS will know it by: its explicit name, else the engine's autoname."""
    return str(resource.inputs.get(key) or resource.name + AUTONAME_SUFFIX)


def _regional_calls(resource: Planned, arns: Arns) -> list[Call]:
    calls = []
    for action in REGIONAL_CALLS[resource.type]:
        service = action.split(":")[0]
        # What the ARN says matters little here: the role's regional statement has
        # Resource "*"; names matter for IAM and S3, whose ARNs are built exactly below.
        arn = arns.regional(service, f"planned/{resource.name}")
        if action == "ssm:GetParameter":
            arn = arns.regional("ssm", "parameter/aws/service/*")
        calls.append(Call(action, arn, {"aws:RequestedRegion": arns.plan.region}))
    return calls


def _role_boundaries(plan: Plan) -> dict[str, str | None]:
    """Role name (as the mocks answer it, and as it will be named) -> its boundary ARN."""
    result = {}
    for role in plan.of_type("aws:iam/role:Role"):
        boundary = role.inputs.get("permissionsBoundary")
        result[physical_name(role)] = boundary
        result[role.name] = boundary
    return result


def _boundary_of(role_input: str, boundaries: dict[str, str | None]) -> str | None:
    for name, boundary in boundaries.items():
        if role_input == name or role_input.startswith(f"{name}-"):
            return boundary
    return None


def calls(plan: Plan) -> list[Call]:
    """Every call a deployment of the plan makes, with its ARN and request context."""
    arns = Arns(plan)
    boundaries = _role_boundaries(plan)
    global_context = {"aws:RequestedRegion": "us-east-1"}  # IAM's endpoint region
    result: list[Call] = []

    def add(resource: Planned, actions, arn: str, **context: Any) -> None:
        for action in actions:
            result.append(Call(action, arn, {**global_context, **context},
                               f"{resource.type} {resource.name}"))

    for resource in plan.resources:
        kind, inputs = resource.type, resource.inputs
        if kind in REGIONAL_CALLS:
            for call in _regional_calls(resource, arns):
                result.append(Call(call.action, call.resource, call.context,
                                   f"{kind} {resource.name}"))
        elif kind == "aws:iam/role:Role":
            context = {"iam:PermissionsBoundary": inputs["permissionsBoundary"]} \
                if inputs.get("permissionsBoundary") else {}
            add(resource, IAM_ROLE_CALLS, arns.iam(f"role/{physical_name(resource)}"), **context)
        elif kind in ("aws:iam/rolePolicy:RolePolicy",
                      "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
            role = str(inputs["role"])
            boundary = _boundary_of(role, boundaries)
            context = {"iam:PermissionsBoundary": boundary} if boundary else {}
            if "policyArn" in inputs:
                context["iam:PolicyARN"] = inputs["policyArn"]
            actions = ROLE_POLICY_CALLS if kind.endswith("RolePolicy") else ATTACHMENT_CALLS
            add(resource, actions, arns.iam(f"role/{role}"), **context)
        elif kind == "aws:iam/instanceProfile:InstanceProfile":
            add(resource, INSTANCE_PROFILE_CALLS,
                arns.iam(f"instance-profile/{physical_name(resource)}"))
        elif kind == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            service = inputs["awsServiceName"]
            name = SERVICE_LINKED_ROLE_NAMES[service]
            if inputs.get("customSuffix"):
                name += f"_{inputs['customSuffix']}"
            arn = arns.iam(f"role/aws-service-role/{service}/{name}")
            add(resource, SERVICE_LINKED_ROLE_CALLS, arn, **{"iam:AWSServiceName": service})
        elif kind == "aws:s3/bucket:Bucket":
            bucket = physical_name(resource, "bucket")
            add(resource, BUCKET_CALLS, f"{arns.prefix}:s3:::{bucket}")
        elif kind in BUCKET_PART_CALLS:
            add(resource, BUCKET_PART_CALLS[kind], f"{arns.prefix}:s3:::{inputs['bucket']}")
        elif kind == "aws:s3/bucketObjectv2:BucketObjectv2":
            add(resource, OBJECT_CALLS, f"{arns.prefix}:s3:::{inputs['bucket']}/{inputs['key']}")
        elif kind == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            continue  # the bootstrap's own; an administrator deploys it
        elif kind == "aws:iam/policy:Policy":
            add(resource, ("iam:CreatePolicy", "iam:GetPolicy", "iam:GetPolicyVersion",
                           "iam:TagPolicy", "iam:DeletePolicy"),
                arns.iam(f"policy/{physical_name(resource)}"))
        elif kind not in NO_CALLS:
            raise KeyError(f"no deployment calls are known for {kind}: add them to "
                           "tests/constraints/deploy_calls.py")
        for passed_type, field_name, service in PASSED_ROLES:
            if kind == passed_type and inputs.get(field_name):
                add(resource, ("iam:PassRole",), str(inputs[field_name]),
                    **{"iam:PassedToService": service})
        if kind == "aws:ec2/launchTemplate:LaunchTemplate":
            profile_arn = (inputs.get("iamInstanceProfile") or {}).get("arn", "")
            for profile in plan.of_type("aws:iam/instanceProfile:InstanceProfile"):
                if profile_arn.split("/")[-1].startswith(profile.name):
                    add(resource, ("iam:PassRole",), arns.iam(f"role/{profile.inputs['role']}"),
                        **{"iam:PassedToService": "ec2.amazonaws.com"})
    return result


def deploy_role_documents(bootstrap: Plan, role_name: str) -> list[dict[str, Any]]:
    """The identity policies of one bootstrap role, as planned."""
    return [json.loads(policy.inputs["policy"])
            for policy in bootstrap.of_type("aws:iam/rolePolicy:RolePolicy")
            if policy.inputs.get("role") == role_name]


def boundary_document(bootstrap: Plan) -> dict[str, Any]:
    (policy,) = bootstrap.of_type("aws:iam/policy:Policy")
    return json.loads(policy.inputs["policy"])


Evaluator = Callable[[list[dict[str, Any]], str, str, dict[str, Any]], Any]


@dataclass(frozen=True)
class Grant:
    """One concrete action a workload role's own policy grants on one resource."""
    role: str
    action: str
    resource: str
    policy: str


def workload_grants(plan: Plan) -> list[Grant]:
    """What each inline policy grants its role, wildcards expanded with parliament's
    action database, so that the boundary can be asked about each action."""
    from parliament import expand_action

    grants = []
    for policy in plan.of_type("aws:iam/rolePolicy:RolePolicy"):
        document = json.loads(policy.inputs["policy"])
        statements = document["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if statement.get("Effect") != "Allow" or "Action" not in statement:
                continue
            actions = statement["Action"]
            resources = statement.get("Resource", "*")
            for pattern in actions if isinstance(actions, list) else [actions]:
                for expanded in expand_action(pattern):
                    action = f"{expanded['service']}:{expanded['action']}"
                    for resource in resources if isinstance(resources, list) else [resources]:
                        grants.append(Grant(str(policy.inputs["role"]), action, resource,
                                            policy.name))
    return grants


def role_boundary(plan: Plan, role_input: str) -> str | None:
    return _boundary_of(role_input, _role_boundaries(plan))
