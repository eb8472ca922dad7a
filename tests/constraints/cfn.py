"""Planned Pulumi resources as a CloudFormation template, judged by cfn-lint.

cfn-lint ships AWS's CloudFormation resource provider schemas for every region (patterns,
enums, lengths, ranges) and its own data on top of them (engine versions offered and
deprecated, instance classes and types per region). Each planned resource whose type has
a CloudFormation twin is written as that twin with the properties below, and cfn-lint
judges the template for the stack's region. Only values the program decides are mapped
(names, descriptions, identifiers, enums, versions, classes, sizes): references to other
resources are mock ids under the offline runtime and mean nothing to AWS.

The table is explicit because the names differ (`description` is `GroupDescription` on a
security group, `instanceClass` is `DBInstanceClass`) and because some CloudFormation
shapes nest what Pulumi keeps flat (a launch template's `instanceType`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator

from cfnlint.api import ManualArgs, lint

from tests.constraints.planned import Plan, Planned

# Inputs that hold a JSON document as a string; CloudFormation takes the object.
JSON_DOCUMENTS = frozenset({"assumeRolePolicy", "policy"})
# What the engine makes of a missing name: the resource name, a dash, 7 random characters.
AUTONAME_SUFFIX = "-a1b2c3d"
# What the provider appends to a name prefix: a 26-character timestamp and counter.
NAME_PREFIX_SUFFIX = "20261202164800000000000001"


@dataclass(frozen=True)
class Twin:
    cfn_type: str
    # wire path -> CloudFormation path; "[]" maps each element of a list.
    properties: dict[str, str]
    # The CloudFormation property the engine fills from the resource name when `name` is unset.
    autoname: str | None = None
    # The CloudFormation property the provider fills from `namePrefix`.
    name_prefix: str | None = None
    fixed: dict[str, Any] = field(default_factory=dict)  # properties implied by the Pulumi type


TWINS: dict[str, Twin] = {
    "aws:ec2/vpc:Vpc": Twin("AWS::EC2::VPC", {"cidrBlock": "CidrBlock",
                                              "instanceTenancy": "InstanceTenancy"}),
    "aws:ec2/subnet:Subnet": Twin("AWS::EC2::Subnet", {
        "cidrBlock": "CidrBlock", "availabilityZone": "AvailabilityZone",
        "availabilityZoneId": "AvailabilityZoneId"}),
    "aws:ec2/eip:Eip": Twin("AWS::EC2::EIP", {"domain": "Domain"}),
    "aws:ec2/natGateway:NatGateway": Twin("AWS::EC2::NatGateway", {
        "connectivityType": "ConnectivityType"}),
    "aws:ec2/flowLog:FlowLog": Twin("AWS::EC2::FlowLog", {
        "trafficType": "TrafficType", "logDestinationType": "LogDestinationType",
        "maxAggregationInterval": "MaxAggregationInterval"}),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Twin("AWS::EC2::VPCEndpoint", {
        "vpcEndpointType": "VpcEndpointType", "serviceName": "ServiceName"}),
    "aws:ec2/securityGroup:SecurityGroup": Twin("AWS::EC2::SecurityGroup", {
        "description": "GroupDescription", "name": "GroupName",
        "ingress[].protocol": "SecurityGroupIngress[].IpProtocol",
        "ingress[].fromPort": "SecurityGroupIngress[].FromPort",
        "ingress[].toPort": "SecurityGroupIngress[].ToPort",
        "egress[].protocol": "SecurityGroupEgress[].IpProtocol",
        "egress[].fromPort": "SecurityGroupEgress[].FromPort",
        "egress[].toPort": "SecurityGroupEgress[].ToPort"},
        autoname="GroupName", fixed={"GroupDescription": "Managed by Pulumi"}),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Twin(
        "AWS::EC2::SecurityGroupIngress", {
            "description": "Description", "ipProtocol": "IpProtocol",
            "fromPort": "FromPort", "toPort": "ToPort"}, fixed={"IpProtocol": "tcp"}),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Twin(
        "AWS::EC2::SecurityGroupEgress", {
            "description": "Description", "ipProtocol": "IpProtocol",
            "fromPort": "FromPort", "toPort": "ToPort"}, fixed={"IpProtocol": "tcp"}),
    "aws:ec2/launchTemplate:LaunchTemplate": Twin("AWS::EC2::LaunchTemplate", {
        "name": "LaunchTemplateName", "description": "VersionDescription",
        "instanceType": "LaunchTemplateData.InstanceType",
        "metadataOptions.httpTokens": "LaunchTemplateData.MetadataOptions.HttpTokens",
        "metadataOptions.httpEndpoint": "LaunchTemplateData.MetadataOptions.HttpEndpoint",
        "metadataOptions.httpPutResponseHopLimit":
            "LaunchTemplateData.MetadataOptions.HttpPutResponseHopLimit",
        "blockDeviceMappings[].deviceName": "LaunchTemplateData.BlockDeviceMappings[].DeviceName",
        "blockDeviceMappings[].ebs.volumeType":
            "LaunchTemplateData.BlockDeviceMappings[].Ebs.VolumeType",
        "blockDeviceMappings[].ebs.volumeSize":
            "LaunchTemplateData.BlockDeviceMappings[].Ebs.VolumeSize",
        "blockDeviceMappings[].ebs.iops": "LaunchTemplateData.BlockDeviceMappings[].Ebs.Iops",
        "blockDeviceMappings[].ebs.throughput":
            "LaunchTemplateData.BlockDeviceMappings[].Ebs.Throughput",
        "tagSpecifications[].resourceType": "TagSpecifications[].ResourceType"},
        autoname="LaunchTemplateName"),
    "aws:autoscaling/group:Group": Twin("AWS::AutoScaling::AutoScalingGroup", {
        "name": "AutoScalingGroupName", "minSize": "MinSize", "maxSize": "MaxSize",
        "desiredCapacity": "DesiredCapacity", "healthCheckType": "HealthCheckType",
        "healthCheckGracePeriod": "HealthCheckGracePeriod",
        "defaultInstanceWarmup": "DefaultInstanceWarmup",
        "instanceMaintenancePolicy.minHealthyPercentage":
            "InstanceMaintenancePolicy.MinHealthyPercentage",
        "instanceMaintenancePolicy.maxHealthyPercentage":
            "InstanceMaintenancePolicy.MaxHealthyPercentage"},
        autoname="AutoScalingGroupName", fixed={"MinSize": "0", "MaxSize": "1"}),
    "aws:lb/loadBalancer:LoadBalancer": Twin("AWS::ElasticLoadBalancingV2::LoadBalancer", {
        "name": "Name", "loadBalancerType": "Type", "ipAddressType": "IpAddressType"},
        autoname="Name"),
    "aws:lb/targetGroup:TargetGroup": Twin("AWS::ElasticLoadBalancingV2::TargetGroup", {
        "name": "Name", "port": "Port", "protocol": "Protocol", "targetType": "TargetType",
        "healthCheck.path": "HealthCheckPath", "healthCheck.protocol": "HealthCheckProtocol",
        "healthCheck.interval": "HealthCheckIntervalSeconds",
        "healthCheck.timeout": "HealthCheckTimeoutSeconds",
        "healthCheck.healthyThreshold": "HealthyThresholdCount",
        "healthCheck.unhealthyThreshold": "UnhealthyThresholdCount",
        "healthCheck.matcher": "Matcher.HttpCode"}, autoname="Name",
        fixed={"VpcId": "vpc-12345678"}),
    "aws:lb/listener:Listener": Twin("AWS::ElasticLoadBalancingV2::Listener", {
        "port": "Port", "protocol": "Protocol", "sslPolicy": "SslPolicy",
        "certificateArn": "Certificates[].CertificateArn",
        "defaultActions[].type": "DefaultActions[].Type",
        "defaultActions[].redirect.protocol": "DefaultActions[].RedirectConfig.Protocol",
        "defaultActions[].redirect.port": "DefaultActions[].RedirectConfig.Port",
        "defaultActions[].redirect.statusCode": "DefaultActions[].RedirectConfig.StatusCode"}),
    "aws:rds/cluster:Cluster": Twin("AWS::RDS::DBCluster", {
        "clusterIdentifier": "DBClusterIdentifier", "engine": "Engine",
        "engineVersion": "EngineVersion", "engineMode": "EngineMode",
        "databaseName": "DatabaseName", "masterUsername": "MasterUsername", "port": "Port",
        "backupRetentionPeriod": "BackupRetentionPeriod",
        "preferredBackupWindow": "PreferredBackupWindow",
        "preferredMaintenanceWindow": "PreferredMaintenanceWindow",
        "enabledCloudwatchLogsExports": "EnableCloudwatchLogsExports",
        "storageType": "StorageType"}),
    "aws:rds/clusterInstance:ClusterInstance": Twin("AWS::RDS::DBInstance", {
        "identifier": "DBInstanceIdentifier", "engine": "Engine",
        "instanceClass": "DBInstanceClass", "caCertIdentifier": "CACertificateIdentifier",
        "availabilityZone": "AvailabilityZone",
        "performanceInsightsRetentionPeriod": "PerformanceInsightsRetentionPeriod",
        "monitoringInterval": "MonitoringInterval"},
        fixed={"DBClusterIdentifier": "planned-cluster"}),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": Twin(
        "AWS::RDS::DBClusterParameterGroup", {
            "name": "DBClusterParameterGroupName", "description": "Description",
            "family": "Family"}, autoname="DBClusterParameterGroupName",
        fixed={"Parameters": {}}),
    "aws:rds/subnetGroup:SubnetGroup": Twin("AWS::RDS::DBSubnetGroup", {
        "name": "DBSubnetGroupName", "description": "DBSubnetGroupDescription"},
        autoname="DBSubnetGroupName", fixed={"SubnetIds": ["subnet-1", "subnet-2"]}),
    "aws:iam/role:Role": Twin("AWS::IAM::Role", {
        "name": "RoleName", "description": "Description", "path": "Path",
        "maxSessionDuration": "MaxSessionDuration",
        "assumeRolePolicy": "AssumeRolePolicyDocument"}, autoname="RoleName"),
    "aws:iam/policy:Policy": Twin("AWS::IAM::ManagedPolicy", {
        "name": "ManagedPolicyName", "description": "Description", "path": "Path",
        "policy": "PolicyDocument"}, autoname="ManagedPolicyName"),
    "aws:iam/instanceProfile:InstanceProfile": Twin("AWS::IAM::InstanceProfile", {
        "name": "InstanceProfileName", "path": "Path"}, autoname="InstanceProfileName",
        fixed={"Roles": ["planned-role"]}),
    "aws:iam/rolePolicy:RolePolicy": Twin("AWS::IAM::RolePolicy", {"name": "PolicyName",
                                                                   "policy": "PolicyDocument"},
                                          autoname="PolicyName",
                                          fixed={"RoleName": "planned-role"}),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": Twin("AWS::IAM::ServiceLinkedRole", {
        "awsServiceName": "AWSServiceName", "customSuffix": "CustomSuffix",
        "description": "Description"}),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": Twin("AWS::IAM::OIDCProvider", {
        "url": "Url", "clientIdLists": "ClientIdList"}),
    "aws:kms/key:Key": Twin("AWS::KMS::Key", {
        "description": "Description", "deletionWindowInDays": "PendingWindowInDays",
        "policy": "KeyPolicy",
        "keyUsage": "KeyUsage", "customerMasterKeySpec": "KeySpec"}),
    "aws:kms/alias:Alias": Twin("AWS::KMS::Alias", {"name": "AliasName"},
                                name_prefix="AliasName", fixed={"TargetKeyId": "planned-key"}),
    "aws:cloudwatch/logGroup:LogGroup": Twin("AWS::Logs::LogGroup", {
        "name": "LogGroupName", "retentionInDays": "RetentionInDays",
        "logGroupClass": "LogGroupClass"}, name_prefix="LogGroupName"),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": Twin("AWS::Logs::MetricFilter", {
        "name": "FilterName", "pattern": "FilterPattern", "logGroupName": "LogGroupName",
        "metricTransformation.name": "MetricTransformations[].MetricName",
        "metricTransformation.namespace": "MetricTransformations[].MetricNamespace",
        "metricTransformation.value": "MetricTransformations[].MetricValue",
        "metricTransformation.unit": "MetricTransformations[].Unit"},
        autoname="FilterName"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Twin("AWS::CloudWatch::Alarm", {
        "name": "AlarmName", "alarmDescription": "AlarmDescription",
        "comparisonOperator": "ComparisonOperator", "statistic": "Statistic",
        "extendedStatistic": "ExtendedStatistic", "treatMissingData": "TreatMissingData",
        "period": "Period", "evaluationPeriods": "EvaluationPeriods",
        "datapointsToAlarm": "DatapointsToAlarm", "namespace": "Namespace",
        "metricName": "MetricName", "unit": "Unit",
        "metricQueries[].id": "Metrics[].Id", "metricQueries[].expression": "Metrics[].Expression",
        "metricQueries[].label": "Metrics[].Label",
        "metricQueries[].returnData": "Metrics[].ReturnData",
        "metricQueries[].metric.metricName": "Metrics[].MetricStat.Metric.MetricName",
        "metricQueries[].metric.namespace": "Metrics[].MetricStat.Metric.Namespace",
        "metricQueries[].metric.period": "Metrics[].MetricStat.Period",
        "metricQueries[].metric.stat": "Metrics[].MetricStat.Stat"},
        autoname="AlarmName"),
    "aws:cloudwatch/dashboard:Dashboard": Twin("AWS::CloudWatch::Dashboard", {
        "dashboardName": "DashboardName"}, fixed={"DashboardBody": "{}"}),
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": Twin("AWS::DLM::LifecyclePolicy", {
        "description": "Description", "state": "State",
        "policyDetails.policyType": "PolicyDetails.PolicyType",
        "policyDetails.resourceTypes": "PolicyDetails.ResourceTypes",
        "policyDetails.schedules[].name": "PolicyDetails.Schedules[].Name",
        "policyDetails.schedules[].createRule.interval":
            "PolicyDetails.Schedules[].CreateRule.Interval",
        "policyDetails.schedules[].createRule.intervalUnit":
            "PolicyDetails.Schedules[].CreateRule.IntervalUnit",
        "policyDetails.schedules[].retainRule.interval":
            "PolicyDetails.Schedules[].RetainRule.Interval",
        "policyDetails.schedules[].retainRule.intervalUnit":
            "PolicyDetails.Schedules[].RetainRule.IntervalUnit",
        "policyDetails.schedules[].crossRegionCopyRules[].target":
            "PolicyDetails.Schedules[].CrossRegionCopyRules[].Target",
        "policyDetails.schedules[].crossRegionCopyRules[].retainRule.interval":
            "PolicyDetails.Schedules[].CrossRegionCopyRules[].RetainRule.Interval",
        "policyDetails.schedules[].crossRegionCopyRules[].retainRule.intervalUnit":
            "PolicyDetails.Schedules[].CrossRegionCopyRules[].RetainRule.IntervalUnit"}),
    "aws:secretsmanager/secret:Secret": Twin("AWS::SecretsManager::Secret", {
        "name": "Name", "description": "Description"}, name_prefix="Name"),
    "aws:secretsmanager/secretRotation:SecretRotation": Twin(
        "AWS::SecretsManager::RotationSchedule", {
            "rotationRules.scheduleExpression": "RotationRules.ScheduleExpression",
            "rotationRules.duration": "RotationRules.Duration",
            "rotationRules.automaticallyAfterDays": "RotationRules.AutomaticallyAfterDays"},
        fixed={"SecretId": "planned-secret"}),
    "aws:sns/topic:Topic": Twin("AWS::SNS::Topic", {
        "name": "TopicName", "displayName": "DisplayName"}, autoname="TopicName"),
    "aws:sns/topicSubscription:TopicSubscription": Twin("AWS::SNS::Subscription", {
        "protocol": "Protocol"}, fixed={"TopicArn": "arn:aws:sns:us-east-1:123456789012:t"}),
    "aws:s3/bucketPolicy:BucketPolicy": Twin("AWS::S3::BucketPolicy", {
        "policy": "PolicyDocument"}, fixed={"Bucket": "planned-bucket"}),
    "aws:sns/topicPolicy:TopicPolicy": Twin("AWS::SNS::TopicPolicy", {
        "policy": "PolicyDocument"}, fixed={"Topics": ["arn:aws:sns:us-east-1:123456789012:t"]}),
    "aws:s3/bucket:Bucket": Twin("AWS::S3::Bucket", {"bucket": "BucketName"}),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Twin("AWS::S3::Bucket", {
        "rule.objectOwnership": "OwnershipControls.Rules[].ObjectOwnership"}),
    "aws:s3/bucketVersioning:BucketVersioning": Twin("AWS::S3::Bucket", {
        "versioningConfiguration.status": "VersioningConfiguration.Status"}),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        Twin("AWS::S3::Bucket", {
            "rules[].applyServerSideEncryptionByDefault.sseAlgorithm":
                "BucketEncryption.ServerSideEncryptionConfiguration[]"
                ".ServerSideEncryptionByDefault.SSEAlgorithm",
            "rules[].bucketKeyEnabled":
                "BucketEncryption.ServerSideEncryptionConfiguration[].BucketKeyEnabled"}),
    "aws:devopsguru/resourceCollection:ResourceCollection": Twin(
        "AWS::DevOpsGuru::ResourceCollection", {
            "tags[].appBoundaryKey": "ResourceCollectionFilter.Tags[].AppBoundaryKey",
            "tags[].tagValues": "ResourceCollectionFilter.Tags[].TagValues"}),
    "aws:cloudformation/stackSet:StackSet": Twin("AWS::CloudFormation::StackSet", {
        "name": "StackSetName", "description": "Description",
        "permissionModel": "PermissionModel", "capabilities": "Capabilities"},
        fixed={"PermissionModel": "SELF_MANAGED"}),
}

# cfn-lint rules that judge the template, not the values: properties we do not map are
# missing, and the twin of a Pulumi type is sometimes only part of a CloudFormation type.
NOT_ABOUT_VALUES = frozenset({
    "E3003",  # required property missing
    "E3002",  # property not allowed here (an unmapped sibling would make it allowed)
    "E1001", "E3001",  # template structure
    "W3005",  # obsolete DependsOn
    "W3010",  # hard-coded availability zone (the zone is a planned value here, on purpose)
    "W1011",  # a plain string where CloudFormation prefers a dynamic reference
    "E3014",  # mutually exclusive properties we did not map
    # FromPort/ToPort are ignored with protocol -1; the provider requires them (0 and 0).
    "W3687",
    "E3015", "E3016", "E3017", "E3018", "E3019", "E3020", "E3021",  # property dependencies
})


@dataclass(frozen=True)
class Finding:
    resource: str     # Pulumi type and name
    wire_path: str    # where the value sits in the planned inputs
    value: Any
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.wire_path}={self.value!r}: {self.rule} {self.message}"


def _values(value: Any, parts: list[str], indices: tuple[int, ...] = ()
            ) -> Iterator[tuple[tuple[int, ...], Any]]:
    if not parts:
        if value is not None:
            yield indices, value
        return
    head, rest = parts[0], parts[1:]
    is_list = head.endswith("[]")
    key = head[:-2] if is_list else head
    if not isinstance(value, dict) or key not in value:
        return
    item = value[key]
    if is_list:
        for index, element in enumerate(item if isinstance(item, list) else []):
            yield from _values(element, rest, indices + (index,))
    elif isinstance(item, list) and rest:  # a Pulumi list of one object, flat in CFN
        for element in item[:1]:
            yield from _values(element, rest, indices)
    else:
        yield from _values(item, rest, indices)


def _place(target: dict[str, Any], parts: list[str], indices: tuple[int, ...],
           value: Any) -> list[str | int]:
    """Put the value at the CloudFormation path; returns the concrete path."""
    concrete: list[str | int] = []
    node: Any = target
    remaining = list(indices)
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        is_list = part.endswith("[]")
        key = part[:-2] if is_list else part
        concrete.append(key)
        if is_list:
            items = node.setdefault(key, [])
            index = remaining.pop(0) if remaining else 0
            while len(items) <= index:
                items.append({})
            concrete.append(index)
            if last:
                items[index] = value
            node = items[index]
        elif last:
            node[key] = value
        else:
            node = node.setdefault(key, {})
    return concrete


def _logical_id(index: int) -> str:
    return f"R{index}"


def template(plan: Plan) -> tuple[str, dict[tuple, tuple[Planned, str, Any]]]:
    """The CloudFormation template of the plan, and where each value came from."""
    resources: dict[str, Any] = {}
    origin: dict[tuple, tuple[Planned, str, Any]] = {}
    for index, resource in enumerate(plan.resources):
        twin = TWINS.get(resource.type)
        if twin is None:
            continue
        logical = _logical_id(index)
        properties: dict[str, Any] = json.loads(json.dumps(twin.fixed))
        for wire, cfn in twin.properties.items():
            for indices, value in _values(resource.inputs, wire.split(".")):
                if wire in JSON_DOCUMENTS and isinstance(value, str):
                    value = json.loads(value)
                path = _place(properties, cfn.split("."), indices, value)
                origin[(logical, *path)] = (resource, wire, value)
        inputs = resource.inputs
        if twin.autoname and "name" not in inputs and "namePrefix" not in inputs:
            value = resource.name + AUTONAME_SUFFIX
            properties[twin.autoname] = value
            origin[(logical, twin.autoname)] = (resource, "(autoname)", value)
        if twin.name_prefix and "namePrefix" in inputs:
            value = inputs["namePrefix"] + NAME_PREFIX_SUFFIX
            properties[twin.name_prefix] = value
            origin[(logical, twin.name_prefix)] = (resource, "namePrefix", value)
        resources[logical] = {"Type": twin.cfn_type, "Properties": properties}
    document = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    return json.dumps(document, indent=1), origin


def _origin_of(path: list, origin: dict[tuple, tuple[Planned, str, Any]],
               resources: dict[str, Planned]) -> tuple[str, str, Any]:
    """The planned value a cfn-lint path points at (or into, or at the resource)."""
    key = tuple(part for part in path[1:] if part != "Properties")
    for length in range(len(key), 0, -1):
        found = origin.get(key[:length])
        if found:
            resource, wire, value = found
            return f"{resource.type} {resource.name}", wire, value
    resource = resources[key[0]] if key else None
    label = f"{resource.type} {resource.name}" if resource else "template"
    return label, "(resource)", None


def findings(plan: Plan, ignore: frozenset[str] = NOT_ABOUT_VALUES) -> list[Finding]:
    text, origin = template(plan)
    by_logical = {_logical_id(i): r for i, r in enumerate(plan.resources)}
    result = []
    for match in lint(text, config=ManualArgs(regions=[plan.region])):
        if match.rule.id in ignore:
            continue
        label, wire, value = _origin_of(list(match.path), origin, by_logical)
        result.append(Finding(label, wire, value, match.rule.id, match.message))
    return result


def unmapped_types(plan: Plan) -> set[str]:
    return {resource.type for resource in plan.resources if resource.type not in TWINS}
