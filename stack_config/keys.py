"""The stack config keys: each declared once, as a field of StackConfig.

A key's declaration holds its name, type, doc, allowed values, parser, default (a value,
FROM_PROFILE for a default that depends on the environment, OPTIONAL for "unset", or
none: required) and whether it may or must be secret. Validation, the README table, the
`config:` block of Pulumi.yaml and the offline preview's stand-ins for `secure:` values
are all generated from these declarations.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

from components.chains import ChainSpec
from stack_config.chains import parse_chains
from stack_config.parsers import (SecretValue, int_between, ipv4_cidr, node_password, one_of,
                                  parse_account_id, parse_bool, parse_certificate_arn,
                                  parse_chainlink_version, parse_db_instance_class,
                                  parse_email, parse_instance_type, parse_key_pair_name,
                                  parse_log_retention, parse_policy_arn, parse_positive_amount,
                                  parse_postgres_version, parse_region, parse_stack_reference,
                                  parse_vpc_cidr)
from components.host.chainlink_agent import API_PASSWORD_MAX_BYTES, password_rule
from stack_config.profile import ENVIRONMENTS, PROFILES, EnvironmentProfile

NAMESPACE = "chainlink-node-aws"
OPTIONAL = ""  # default of optional string keys: empty means "not used"
FROM_PROFILE = object()  # the default is the environment profile's field of this name
_REQUIRED = object()


@dataclass(frozen=True)
class Setting:
    key: str
    attribute: str
    kind: str
    description: str
    allowed: str
    parse: Callable[[str], Any]
    default: Any = _REQUIRED
    secret: str = "no"               # "no", "allowed" or "required"
    # Offline previews cannot decrypt `secure:` values; this stands in for them.
    placeholder: str = ""

    def default_for(self, environment: str) -> Any:
        if self.default is FROM_PROFILE:
            return getattr(PROFILES[environment], self.attribute)
        return self.default

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    @property
    def per_environment(self) -> bool:
        return self.default is FROM_PROFILE


def key(name: str, kind: str, description: str, allowed: str, parse: Callable[[str], Any],
        default: Any = _REQUIRED, secret: str = "no", placeholder: str = "") -> Any:
    """Declare a config key as a StackConfig field."""
    return field(metadata={"setting": (name, kind, description, allowed, parse, default,
                                       secret, placeholder)})


@dataclass(frozen=True)
class StackConfig:
    """Validated configuration of one stack. Attribute names mirror the keys in snake_case."""

    stack: str
    environment: str = key("environment", "string",
            "Which profile of defaults and checks applies.", "dev, prod",
            one_of(*ENVIRONMENTS), default="dev")
    # --- network ---
    vpc_cidr: str = key("vpcCidr", "IPv4 CIDR",
            "Address range of the VPC; split into a public and a private subnet per AZ.",
            "private range, /16 to /24", parse_vpc_cidr, default="10.0.0.0/16")
    availability_zone_count: int = key("availabilityZoneCount", "integer",
            "Availability Zones used by the VPC (the two node hosts run in two of them).",
            "2 or 3",
            int_between(2, 3), default=2)
    nat_gateway_strategy: str = key("natGatewayStrategy", "string",
            "One NAT gateway for the VPC, or one per AZ so an AZ loss keeps egress.",
            "single, perAz", one_of("single", "perAz"),
            default=FROM_PROFILE)
    interface_endpoints: bool = key("interfaceEndpoints", "boolean",
            "Interface endpoints for SSM, Secrets Manager, CloudWatch and KMS so host API "
            "calls never leave the VPC.", "true, false", parse_bool, default=True)
    remote_access_cidr: str = key("remoteAccessCidr", "IPv4 CIDR",
            "Who may reach the operator UI (load balancer) and the bastion's SSH.",
            "IPv4 CIDR; not 0.0.0.0/0 in prod", ipv4_cidr(0, 32))
    # --- bastion ---
    bastion_enabled: bool = key("bastionEnabled", "boolean",
            "Run SSH bastion hosts; SSM Session Manager works without them.", "true, false",
            parse_bool, default=False)
    bastion_count: int = key("bastionCount", "integer", "Bastion hosts in the group.",
            "1 or 2", int_between(1, 2), default=1)
    bastion_instance_type: str = key("bastionInstanceType", "string",
            "EC2 instance type of the bastion hosts.", "EC2 instance type",
            parse_instance_type, default="t3.micro")
    bastion_key_name: str = key("bastionKeyName", "string",
            "EC2 key pair for SSH to the bastion; unset means EC2 Instance Connect or SSM only.",
            "existing key pair name", parse_key_pair_name, default=OPTIONAL)
    # --- node ---
    chainlink_version: str = key("chainlinkVersion", "string",
            "Pinned Chainlink release run on both hosts (image "
            "public.ecr.aws/chainlink/chainlink).",
            "semver such as 2.29.0, or sha256:<digest>; not latest, no v, no -root",
            parse_chainlink_version)
    node_instance_type: str = key("nodeInstanceType", "string",
            "EC2 instance type of the two node hosts (the docs advise against burstable types "
            "in production).", "EC2 instance type", parse_instance_type,
            default=FROM_PROFILE)
    node_volume_size_gb: int = key("nodeVolumeSizeGb", "integer",
            "Size of each node host's encrypted gp3 root volume.", "20 to 1000",
            int_between(20, 1000), default=30)
    chains: tuple[ChainSpec, ...] = key("chains", "list of chains",
            "The EVM chains the node serves, each with its primary RPC nodes (WebSocket and "
            "HTTP) and optional send-only nodes; URLs may carry API keys, so may be secrets "
            "(see [Chains and RPC nodes](#chains-and-rpc-nodes)).",
            "one or more `{chain, wsUrl, httpUrl}` or `{chain, nodes: [{name, wsUrl, "
            "httpUrl}], sendOnly: [{name, httpUrl}]}`; chain a network name or chain id, "
            "each chain once", parse_chains, secret="allowed",
            placeholder='[{"chain": "1", "wsUrl": "wss://rpc.offline-preview.invalid/ws", '
                        '"httpUrl": "https://rpc.offline-preview.invalid/http"}]')
    api_user_email: str = key("apiUserEmail", "string",
            "E-mail of the node's admin user (created on first start).", "e-mail address",
            parse_email)
    api_password: SecretValue = key("apiPassword", "secret",
            "Password of the node's admin user (used when the node first starts).",
            password_rule(API_PASSWORD_MAX_BYTES) + ", not containing `apiUserEmail`; "
            "set with --secret",
            node_password(API_PASSWORD_MAX_BYTES), secret="required",
            placeholder="offline-preview-api-password")
    keystore_password: SecretValue = key("keystorePassword", "secret",
            "Password that encrypts the node's keystore in the database; never change it "
            "once the node has keys (see [Restore from backup](#restore-from-backup)).",
            password_rule(None) + "; set with --secret",
            node_password(None), secret="required",
            placeholder="offline-preview-keystore-password")
    p2p_enabled: bool = key("p2pEnabled", "boolean",
            "Open the node's P2P (OCR) port behind a network load balancer with a stable "
            "announce address.", "true, false", parse_bool, default=False)
    p2p_port: int = key("p2pPort", "integer", "The node's P2P v2 listen port.",
            "1024 to 65535", int_between(1024, 65535), default=6690)
    # --- load balancer ---
    certificate_arn: str = key("certificateArn", "string",
            "ACM certificate for an internet-facing HTTPS load balancer; unset keeps the load "
            "balancer internal.", "ACM certificate ARN", parse_certificate_arn,
            default=OPTIONAL)
    # --- database ---
    backup_retention_days: int = key("backupRetentionDays", "integer",
            "Days of Aurora automated backups (point-in-time restore window).",
            "1 to 35; at least 7 in prod", int_between(1, 35), default=7)
    db_instance_class: str = key("dbInstanceClass", "string",
            "Instance class of the Aurora writer (and reader in prod).", "db.<family>.<size>",
            parse_db_instance_class,
            default=FROM_PROFILE)
    db_engine_version: str = key("dbEngineVersion", "string",
            "Aurora PostgreSQL engine version.", "major 14 to 17, such as 16.11",
            parse_postgres_version, default="16.11")
    db_port: int = key("dbPort", "integer", "Port the database listens on.",
            "1150 to 65535", int_between(1150, 65535), default=5432)
    host_snapshot_retention_days: int = key("hostSnapshotRetentionDays", "integer",
            "Days the daily snapshots of the node hosts' volumes are kept (Data Lifecycle "
            "Manager).", "1 to 35", int_between(1, 35), default=7)
    backup_copy_region: str = key("backupCopyRegion", "string",
            "Region the host-volume snapshots are also copied to (disaster recovery).",
            "AWS region", parse_region, default=OPTIONAL)
    # --- observability ---
    alarm_email: str = key("alarmEmail", "string",
            "Where alarms are e-mailed (SNS subscription).", "e-mail address; required in prod",
            parse_email, default=OPTIONAL)
    log_retention_days: int = key("logRetentionDays", "integer",
            "Retention of every log group (node, bootstrap, flow logs).",
            "a CloudWatch retention period (1, 3, 5, 7, 14, 30, 60, 90, ...)",
            parse_log_retention, default=FROM_PROFILE)
    min_gas_balance: float = key("minGasBalance", "decimal",
            "Native-token balance (in the chain's own unit, such as ETH) below which a node "
            "account raises the low-gas alarm.", "positive decimal number",
            parse_positive_amount, default=FROM_PROFILE)
    devops_guru_enabled: bool = key("devOpsGuruEnabled", "boolean",
            "Amazon DevOps Guru over this stack's resources, with its own SNS topic and key.",
            "true, false", parse_bool, default=False)
    iam_permissions_boundary_arn: str = key("iamPermissionsBoundaryArn", "string",
            "Permissions boundary set on every IAM role the stack creates; the bootstrap "
            "project's deployment role may create roles only inside it. Unset: the "
            "bootstrap stack's permissionsBoundaryArn (see bootstrapStack).", "IAM policy ARN",
            parse_policy_arn, default=OPTIONAL)
    bootstrap_stack: str = key("bootstrapStack", "string",
            "The account's bootstrap stack, read with a StackReference for what the node "
            "stack needs of it (the permissions boundary, unless iamPermissionsBoundaryArn "
            "is set); empty: none.", "stack name (organization/project/stack on a "
            "self-managed backend)", parse_stack_reference, default=FROM_PROFILE)
    devops_guru_administrator_account_id: str = key("devOpsGuruAdministratorAccountId",
            "string", "Account allowed to manage DevOps Guru through StackSets; unset means "
            "this account.", "12-digit account id", parse_account_id, default=OPTIONAL)

    @property
    def profile(self) -> EnvironmentProfile:
        """Everything that differs between dev and prod beyond the keys' defaults."""
        return PROFILES[self.environment]


# Keys of earlier releases: named with what replaced them, never merely "unknown".
RETIRED_KEYS = {
    key: ("is the single-chain form of earlier releases; write it as `chains`, for example "
          "chainlink-node-aws:chains: [{chain: ethereum-sepolia, wsUrl: ..., httpUrl: ...}] "
          "(README \"Chains and RPC nodes\", migration note)")
    for key in ("chain", "rpcWsUrl", "rpcHttpUrl")}

SETTINGS: tuple[Setting, ...] = tuple(
    Setting(item.metadata["setting"][0], item.name, *item.metadata["setting"][1:])
    for item in dataclasses.fields(StackConfig) if "setting" in item.metadata)
SETTINGS_BY_KEY = {setting.key: setting for setting in SETTINGS}
