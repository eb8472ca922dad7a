"""The rules of the pack, one per module, grouped by category.

Only relative imports below this package: the Pulumi engine loads it as the
top-level package `rules` (from the pack's directory), `ops` as `policies.rules`.
"""

from .missing_backups import (
    dynamodb_table_point_in_time_recovery,
    ebs_volume_backup_policy,
    rds_backup_retention,
    rds_deletion_protection,
    rds_final_snapshot,
    s3_bucket_versioning,
)
from .model import CATEGORIES, Resource, ResourceRule, Rule, StackRule
from .other import ec2_instance_imdsv2, lb_listener_tls_policy, rds_public_access, security_group_public_admin_ports
from .root_execution import ec2_instance_root_containers, ecs_task_definition_root_containers
from .unencrypted_secrets import (
    cloudwatch_log_group_kms_key,
    ebs_volume_encryption,
    ec2_instance_plaintext_secrets,
    ecs_task_definition_plaintext_secrets,
    kms_key_rotation,
    rds_storage_encryption,
    secretsmanager_secret_customer_key,
    sns_topic_kms_key,
    ssm_parameter_secure_string,
)

ALL_RULES: tuple[Rule, ...] = tuple(
    module.RULE
    for module in (
        ec2_instance_root_containers,
        ecs_task_definition_root_containers,
        secretsmanager_secret_customer_key,
        ssm_parameter_secure_string,
        rds_storage_encryption,
        ebs_volume_encryption,
        ec2_instance_plaintext_secrets,
        ecs_task_definition_plaintext_secrets,
        sns_topic_kms_key,
        cloudwatch_log_group_kms_key,
        kms_key_rotation,
        rds_backup_retention,
        rds_final_snapshot,
        rds_deletion_protection,
        ebs_volume_backup_policy,
        dynamodb_table_point_in_time_recovery,
        s3_bucket_versioning,
        ec2_instance_imdsv2,
        security_group_public_admin_ports,
        lb_listener_tls_policy,
        rds_public_access,
    )
)
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "CATEGORIES", "RULES_BY_NAME", "Resource", "ResourceRule", "Rule", "StackRule"]
