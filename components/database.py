"""Database tier: Aurora PostgreSQL for the node's state."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

DATABASE_NAME = "chainlink"
# The node runs its own migrations, so its user must own the database: the master user
# owns the database Aurora creates at cluster creation.
MASTER_USERNAME = "chainlink"


@dataclass
class DatabaseArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    engine_version: str
    instance_class: str
    instance_count: int
    port: int
    backup_retention_days: int
    deletion_protection: bool
    protect: bool = False


class Database(pulumi.ComponentResource):
    """An encrypted Aurora PostgreSQL cluster reachable only from the node hosts.

    The security group starts with no ingress; the node tier opens the port to its own
    security group, so nothing else can reach the database.
    """

    security_group_id: pulumi.Output[str]
    cluster_identifier: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: int
    database_name: str
    credentials_secret_arn: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chainlink:index:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)

        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=args.vpc_id,
            description="Aurora PostgreSQL: only the node hosts may connect",
            tags={"Name": f"{name}-db"}, opts=child)
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets", subnet_ids=args.subnet_ids,
            description="Private subnets of the node's database", opts=child)
        major = args.engine_version.split(".")[0]
        parameters = aws.rds.ClusterParameterGroup(
            f"{name}-params", family=f"aurora-postgresql{major}",
            description="TLS required for every connection",
            parameters=[{"name": "rds.force_ssl", "value": "1"}], opts=child)

        cluster = aws.rds.Cluster(
            f"{name}-cluster",
            engine="aurora-postgresql", engine_version=args.engine_version,
            database_name=DATABASE_NAME, master_username=MASTER_USERNAME,
            manage_master_user_password=True, master_user_secret_kms_key_id=args.kms_key_arn,
            port=args.port,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            db_cluster_parameter_group_name=parameters.name,
            storage_encrypted=True, kms_key_id=args.kms_key_arn,
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window="03:00-04:00",
            preferred_maintenance_window="sun:04:30-sun:05:30",
            copy_tags_to_snapshot=True,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{name}-final",
            enabled_cloudwatch_logs_exports=["postgresql"],
            opts=stateful)

        for index in range(args.instance_count):
            aws.rds.ClusterInstance(
                f"{name}-instance-{index + 1}",
                cluster_identifier=cluster.id, engine="aurora-postgresql",
                engine_version=args.engine_version, instance_class=args.instance_class,
                db_subnet_group_name=subnet_group.name, publicly_accessible=False,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=args.kms_key_arn,
                auto_minor_version_upgrade=False,
                opts=stateful)

        self.security_group_id = security_group.id
        self.cluster_identifier = cluster.cluster_identifier
        self.endpoint = cluster.endpoint
        self.reader_endpoint = cluster.reader_endpoint
        self.port = args.port
        self.database_name = DATABASE_NAME
        self.credentials_secret_arn = cluster.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn if secrets else "")
        self.register_outputs({"cluster_identifier": self.cluster_identifier,
                               "endpoint": self.endpoint,
                               "credentials_secret_arn": self.credentials_secret_arn})
