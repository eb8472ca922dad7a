"""chainlink-node-aws: a highly available Chainlink node on AWS.

Reads the stack configuration, builds the tiers, exports what operators need.
"""

import pulumi

from components.aws_context import AwsContext
from components.backups import VolumeBackups, VolumeBackupsArgs
from components.bastion import Bastion, BastionArgs
from components.chains import rpc_secret_document
from components.cloudwatch_agent import (agent_scrape_config, cloudwatch_agent_config_output,
                                         node_metrics_namespace)
from components.database import Database, DatabaseArgs
from components.devops_guru import DevOpsGuru, DevOpsGuruArgs
from components.encryption import Encryption, EncryptionArgs
from components.iam import boundary_of, permissions_boundary
from components.load_balancer import NodeLoadBalancer, NodeLoadBalancerArgs
from components.logs import NodeLogs, NodeLogsArgs
from components.network import Network, NetworkArgs
from components.node import ChainlinkNode, ChainlinkNodeArgs
from components.observability import AlarmThresholds, Observability, ObservabilityArgs
from components.p2p import PeerLoadBalancer, PeerLoadBalancerArgs
from components.prometheus import operator_scrape_config
from components.secrets import Secrets, SecretsArgs
from stack_config import ConfigError, load_from_pulumi

try:
    config = load_from_pulumi()
except ConfigError as error:
    # RunError prints the message without a Python traceback.
    raise pulumi.RunError(f"invalid stack configuration:\n{error}") from None

NAME = "chainlink"
# Everything that differs between dev and prod beyond the keys' defaults.
profile = config.profile
context = AwsContext.lookup()
boundary = boundary_of(config.iam_permissions_boundary_arn, config.bootstrap_stack)
if boundary is not None:
    pulumi.runtime.register_stack_transformation(permissions_boundary(boundary))

encryption = Encryption(NAME, EncryptionArgs(
    context=context,
    deletion_window_days=profile.recovery_window_days,
    protect=profile.protect_data))

network = Network(NAME, NetworkArgs(
    context=context,
    cidr_block=config.vpc_cidr,
    availability_zone_count=config.availability_zone_count,
    nat_gateway_strategy=config.nat_gateway_strategy,
    interface_endpoints=config.interface_endpoints,
    flow_log_retention_days=config.log_retention_days,
    flow_log_kms_key_arn=encryption.telemetry_key_arn,
    instance_types=[config.node_instance_type,
                    *([config.bastion_instance_type] if config.bastion_enabled else [])]))

if config.bastion_enabled:
    bastion = Bastion(NAME + "-bastion", BastionArgs(
        vpc_id=network.vpc_id,
        vpc_cidr=network.vpc_cidr,
        public_subnet_ids=network.public_subnet_ids,
        remote_access_cidr=config.remote_access_cidr,
        instance_type=config.bastion_instance_type,
        host_count=config.bastion_count,
        key_name=config.bastion_key_name,
        partition=context.partition))
    pulumi.export("bastionGroupName", bastion.group_name)

secrets = Secrets(NAME, SecretsArgs(
    context=context,
    api_user_email=config.api_user_email,
    api_password=config.api_password,
    keystore_password=config.keystore_password,
    rpc_urls=rpc_secret_document(config.chains),
    recovery_window_days=profile.recovery_window_days,
    protect=profile.protect_data))

database = Database(NAME, DatabaseArgs(
    vpc_id=network.vpc_id,
    subnet_ids=network.private_subnet_ids,
    availability_zones=network.availability_zones,
    kms_key_arn=secrets.key_arn,
    log_kms_key_arn=encryption.telemetry_key_arn,
    log_retention_days=config.log_retention_days,
    engine_version=config.db_engine_version,
    instance_class=config.db_instance_class,
    instance_count=profile.database_instance_count,
    port=config.db_port,
    backup_retention_days=config.backup_retention_days,
    deletion_protection=profile.deletion_protection,
    protect=profile.protect_data))

volume_backups = VolumeBackups(NAME, VolumeBackupsArgs(
    context=context,
    volume_kms_key_arn=secrets.key_arn,
    retention_days=config.host_snapshot_retention_days,
    copy_region=config.backup_copy_region))

node_logs = NodeLogs(NAME, NodeLogsArgs(
    kms_key_arn=encryption.telemetry_key_arn,
    retention_days=config.log_retention_days,
    protect=profile.protect_data))

load_balancer = NodeLoadBalancer(NAME + "-web", NodeLoadBalancerArgs(
    placement=network.placement,
    remote_access_cidr=config.remote_access_cidr,
    certificate_arn=config.certificate_arn,
    deletion_protection=profile.deletion_protection))

peer_load_balancer = None
if config.p2p_enabled:
    peer_load_balancer = PeerLoadBalancer(NAME + "-p2p", PeerLoadBalancerArgs(
        placement=network.placement,
        port=config.p2p_port,
        deletion_protection=profile.deletion_protection,
        protect=profile.protect_data))
    pulumi.export("p2pAnnounceAddresses", peer_load_balancer.announce_addresses)

metrics_namespace = node_metrics_namespace(config.stack)
node = ChainlinkNode(NAME + "-node", ChainlinkNodeArgs(
    context=context,
    placement=network.placement,
    secrets=secrets.node_access,
    database=database.connection,
    logs=node_logs.host_log_groups,
    load_balancer=load_balancer.target,
    peer_load_balancer=peer_load_balancer.target if peer_load_balancer else None,
    chainlink_version=config.chainlink_version,
    chains=config.chains,
    instance_type=config.node_instance_type,
    volume_size_gb=config.node_volume_size_gb,
    cloudwatch_agent_config=cloudwatch_agent_config_output(
        node_logs.bootstrap_log_group_name, node_logs.metrics_log_group_name,
        metrics_namespace),
    metrics_namespace=metrics_namespace,
    prometheus_config=agent_scrape_config(),
    extra_log_group_arns=[node_logs.metrics_log_group_arn]))

observability = Observability(NAME, ObservabilityArgs(
    stack=config.stack,
    region=context.region,
    kms_key_arn=encryption.telemetry_key_arn,
    metrics_namespace=metrics_namespace,
    node_log_group_name=node_logs.node_log_group_name,
    database_cluster_identifier=database.cluster_identifier,
    node_group_name=node.group_name,
    load_balancer_arn_suffix=load_balancer.arn_suffix,
    target_group_arn_suffix=load_balancer.target_group_arn_suffix,
    thresholds=AlarmThresholds(**profile.alarm_thresholds),
    min_gas_balance=config.min_gas_balance,
    chain_ids=tuple(spec.chain.chain_id for spec in config.chains),
    alarm_email=config.alarm_email or None))

if config.devops_guru_enabled:
    DevOpsGuru(NAME + "-devops-guru", DevOpsGuruArgs(
        context=context,
        stack=config.stack,
        notification_email=config.alarm_email or None,
        administrator_account_id=config.devops_guru_administrator_account_id or None,
        deletion_window_days=profile.recovery_window_days,
        protect=profile.protect_data))

pulumi.export("vpcId", network.vpc_id)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("databaseEndpoint", database.endpoint)
pulumi.export("databaseClusterIdentifier", database.cluster_identifier)
pulumi.export("databaseCredentialsSecretArn", database.credentials_secret_arn)
pulumi.export("volumeBackupPolicyId", volume_backups.policy_id)
pulumi.export("nodeLogGroup", node_logs.node_log_group_name)
pulumi.export("chainIds", [spec.chain.chain_id for spec in config.chains])
pulumi.export("chainlinkVersion", config.chainlink_version)
pulumi.export("nodeImage", node.image)
pulumi.export("nodeGroupName", node.group_name)
pulumi.export("nodeUrl", load_balancer.url)
pulumi.export("loadBalancerDnsName", load_balancer.dns_name)
pulumi.export("loadBalancerArnSuffix", load_balancer.arn_suffix)
pulumi.export("targetGroupArnSuffix", load_balancer.target_group_arn_suffix)
pulumi.export("targetGroupArn", load_balancer.target_group_arn)
pulumi.export("alarmTopicArn", observability.alarm_topic_arn)
pulumi.export("dashboardName", observability.dashboard_name)
pulumi.export("prometheusScrapeConfig", context.region.apply(
    lambda region: operator_scrape_config(config.stack, region)))
