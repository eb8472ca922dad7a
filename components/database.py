"""Database tier: Aurora PostgreSQL for the node's state."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.interfaces import DatabaseConnection
from components.kit import TierComponent
from components.tags import STACK_TAG_KEY

ENGINE = "aurora-postgresql"
DATABASE_NAME = "chainlink"
# The node runs its own migrations, so its user must own the database: the master user
# owns the database Aurora creates at cluster creation.
MASTER_USERNAME = "chainlink"
# UTC windows that never overlap: daily backups, weekly maintenance, monthly rotation of
# the master password (first Tuesday, office hours, so people are around to watch it).
BACKUP_WINDOW = "03:00-04:00"
MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"
PASSWORD_ROTATION_SCHEDULE = "cron(0 10 ? * TUE#1 *)"
PASSWORD_ROTATION_WINDOW = "2h"
# The RSA 2048 CA valid until 2061; the older rds-ca-2019 has expired.
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
PERFORMANCE_INSIGHTS_DAYS = 7  # the free tier
MAX_BACKUP_RETENTION_DAYS = 35
# RDS identifiers: a letter first, then letters, digits and single hyphens, at most 63;
# instances add "-<n>" to the cluster's identifier.
_IDENTIFIER_BASE_LENGTH = 56


@dataclass
class DatabaseArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    # Instance n goes to zone n (modulo their number): the reader never shares the writer's AZ.
    availability_zones: list[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    log_kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    engine_version: str
    instance_class: str
    instance_count: int
    port: int
    backup_retention_days: int
    deletion_protection: bool
    protect: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.backup_retention_days <= MAX_BACKUP_RETENTION_DAYS:
            raise ValueError(f"backup_retention_days must be 1 to {MAX_BACKUP_RETENTION_DAYS}")
        if not 1 <= self.instance_count <= len(self.availability_zones):
            raise ValueError("instance_count must be at least 1 and at most one per zone")


def cluster_identifier(name: str, stack: str) -> str:
    """A stable, readable cluster name: runbooks and the log group name depend on it."""
    words = re.findall(r"[a-z0-9]+", f"{name}-{stack}".lower())
    identifier = "-".join(words)[:_IDENTIFIER_BASE_LENGTH].strip("-")
    return identifier if identifier[:1].isalpha() else f"db-{identifier}"[:_IDENTIFIER_BASE_LENGTH]


def postgres_log_group_name(identifier: str) -> str:
    """Where RDS exports the cluster's postgresql log (it creates it, unencrypted, if absent)."""
    return f"/aws/rds/cluster/{identifier}/postgresql"


class Database(TierComponent):
    """An encrypted Aurora PostgreSQL cluster reachable only from the node hosts.

    The security group starts with no rules; the node tier opens the port to its own
    security group, so nothing else can reach the database. The master password lives in
    an RDS-managed secret on our key and rotates monthly.
    """

    TYPE = "chainlink:index:Database"

    security_group_id: pulumi.Output[str]
    cluster_identifier: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    instance_identifiers: list[pulumi.Output[str]]
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: int
    database_name: str
    credentials_secret_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def _build(self, name: str, args: DatabaseArgs) -> None:
        identifier = cluster_identifier(name, pulumi.get_stack())

        security_group = aws.ec2.SecurityGroup(
            f"{name}-db-sg", vpc_id=args.vpc_id,
            description="Aurora PostgreSQL: only the node hosts may connect",
            tags={"Name": f"{name}-db"}, opts=self._child())
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-db-subnets", subnet_ids=args.subnet_ids,
            description="Private subnets of the node's database", opts=self._child())
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-db-log", name=postgres_log_group_name(identifier),
            retention_in_days=args.log_retention_days, kms_key_id=args.log_kms_key_arn,
            opts=self._child(stateful=True))
        cluster = aws.rds.Cluster(
            f"{name}-db-cluster",
            cluster_identifier=identifier,
            engine=ENGINE, engine_version=args.engine_version,
            database_name=DATABASE_NAME, master_username=MASTER_USERNAME,
            manage_master_user_password=True, master_user_secret_kms_key_id=args.kms_key_arn,
            port=args.port,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            db_cluster_parameter_group_name=self._tls_parameters(args).name,
            storage_encrypted=True, kms_key_id=args.kms_key_arn,
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window=BACKUP_WINDOW,
            preferred_maintenance_window=MAINTENANCE_WINDOW,
            copy_tags_to_snapshot=True,
            # Keep the automated backups (the point-in-time window) if the cluster is deleted.
            delete_automated_backups=False,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=self._final_snapshot_identifier(identifier),
            enabled_cloudwatch_logs_exports=["postgresql"],
            tags={STACK_TAG_KEY: pulumi.get_stack()},
            opts=self._child(stateful=True, depends_on=[log_group]))
        instances = [self._instance(index, identifier, cluster, subnet_group)
                     for index in range(args.instance_count)]

        self.credentials_secret_arn = cluster.master_user_secrets[0].secret_arn
        aws.secretsmanager.SecretRotation(
            f"{name}-db-password-rotation",
            secret_id=self.credentials_secret_arn,
            rotation_rules={"schedule_expression": PASSWORD_ROTATION_SCHEDULE,
                            "duration": PASSWORD_ROTATION_WINDOW},
            rotate_immediately=False,
            opts=self._child())

        self.security_group_id = security_group.id
        self.cluster_identifier = cluster.cluster_identifier
        self.cluster_arn = cluster.arn
        self.instance_identifiers = [instance.identifier for instance in instances]
        self.endpoint = cluster.endpoint
        self.reader_endpoint = cluster.reader_endpoint
        self.port = args.port
        self.database_name = DATABASE_NAME
        self.log_group_name = log_group.name

    @property
    def connection(self) -> DatabaseConnection:
        """What a client of the database (the node tier) needs of this one."""
        return DatabaseConnection(
            endpoint=self.endpoint, port=self.port, database_name=self.database_name,
            credentials_secret_arn=self.credentials_secret_arn,
            security_group_id=self.security_group_id)

    def _final_snapshot_identifier(self, identifier: str) -> pulumi.Output[str]:
        """Unique per life of the cluster: a snapshot keeps its name after the cluster is
        gone, so a fixed name would make the next destroy of a recreated cluster fail."""
        suffix = random.RandomId(f"{self._name}-db-final-snapshot-suffix", byte_length=4,
                                 keepers={"cluster": identifier},
                                 opts=self._child())
        return pulumi.Output.concat(identifier, "-final-", suffix.hex)

    def _tls_parameters(self, args: DatabaseArgs) -> aws.rds.ClusterParameterGroup:
        major = args.engine_version.split(".")[0]
        return aws.rds.ClusterParameterGroup(
            f"{self._name}-db-params", family=f"{ENGINE}{major}",
            description="TLS 1.2 or newer required for every connection",
            parameters=[{"name": "rds.force_ssl", "value": "1"},
                        {"name": "ssl_min_protocol_version", "value": "TLSv1.2"}],
            opts=self._child())

    def _instance(self, index: int, identifier: str, cluster: aws.rds.Cluster,
                  subnet_group: aws.rds.SubnetGroup) -> aws.rds.ClusterInstance:
        args = self._args
        zones = args.availability_zones
        return aws.rds.ClusterInstance(
            f"{self._name}-db-{index + 1}",
            identifier=f"{identifier}-{index + 1}",
            cluster_identifier=cluster.cluster_identifier, engine=ENGINE,
            engine_version=args.engine_version, instance_class=args.instance_class,
            availability_zone=zones[index % len(zones)],
            db_subnet_group_name=subnet_group.name, publicly_accessible=False,
            ca_cert_identifier=CA_CERTIFICATE,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.kms_key_arn,
            performance_insights_retention_period=PERFORMANCE_INSIGHTS_DAYS,
            # Versions change only through the stack config, never behind its back.
            auto_minor_version_upgrade=False,
            copy_tags_to_snapshot=True,
            opts=self._child(stateful=True))
