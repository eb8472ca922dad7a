"""Every difference between a dev and a prod stack, in one place.

`environment` picks a profile. A profile holds the defaults of the keys whose default
depends on it (a field named like the key's StackConfig attribute), the values the
program derives from the environment without a key of their own, and the rules only
prod enforces. Nothing else in the program asks whether a stack is prod.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

BOOTSTRAP_PROJECT = "chainlink-node-aws-bootstrap"  # bootstrap/Pulumi.yaml's name
GIB = 1024 ** 3
MIB = 1024 ** 2


@dataclass(frozen=True)
class EnvironmentProfile:
    name: str
    # --- defaults of keys (named as the key's StackConfig attribute) ---
    nat_gateway_strategy: str
    node_instance_type: str
    db_instance_class: str
    log_retention_days: int
    min_gas_balance: float
    bootstrap_stack: str
    # --- derived, no key of their own ---
    # Days a deleted secret or a key scheduled for deletion can still be recovered: the
    # longest AWS allows in prod, the shortest in dev so a torn-down stack goes.
    recovery_window_days: int
    # `protect` on stateful resources (keys, secrets, database, logs, P2P addresses).
    protect_data: bool
    # Deletion protection of the database and both load balancers.
    deletion_protection: bool
    # Aurora writer, plus a reader in another zone to fail over to.
    database_instance_count: int
    # components.observability.AlarmThresholds fields (kept as a mapping so reading the
    # config does not import the AWS provider).
    alarm_thresholds: Mapping[str, float]
    # --- rules only this environment enforces ---
    min_backup_retention_days: int
    requires_alarm_email: bool
    forbids_open_remote_access: bool


# The node's default pool is 100 connections (`[Database] MaxOpenConns`), the standby
# holds a couple while it waits for the lease: more than 150 is something else.
DEV = EnvironmentProfile(
    name="dev",
    nat_gateway_strategy="single", node_instance_type="t3.medium",
    db_instance_class="db.t4g.medium", log_retention_days=7, min_gas_balance=0.1,
    bootstrap_stack=f"organization/{BOOTSTRAP_PROJECT}/dev",
    recovery_window_days=7, protect_data=False, deletion_protection=False,
    database_instance_count=1,
    alarm_thresholds=MappingProxyType(dict(
        db_cpu_percent=90, db_freeable_memory_bytes=256 * MIB,
        db_free_local_storage_bytes=2 * GIB, db_connections=150,
        load_balancer_5xx_per_5_minutes=25, host_disk_used_percent=90,
        head_stall_minutes=15, no_ready_node_minutes=5, missing_host_minutes=30)),
    min_backup_retention_days=1, requires_alarm_email=False,
    forbids_open_remote_access=False)

# Prod pages sooner and on less, keeps data longer and protects it from deletion.
PROD = EnvironmentProfile(
    name="prod",
    nat_gateway_strategy="perAz", node_instance_type="m6i.large",
    db_instance_class="db.r6g.large", log_retention_days=90, min_gas_balance=1.0,
    bootstrap_stack=f"organization/{BOOTSTRAP_PROJECT}/prod",
    recovery_window_days=30, protect_data=True, deletion_protection=True,
    database_instance_count=2,
    alarm_thresholds=MappingProxyType(dict(
        db_cpu_percent=80, db_freeable_memory_bytes=1 * GIB,
        db_free_local_storage_bytes=5 * GIB, db_connections=150,
        load_balancer_5xx_per_5_minutes=5, host_disk_used_percent=80,
        head_stall_minutes=5, no_ready_node_minutes=2, missing_host_minutes=10)),
    min_backup_retention_days=7, requires_alarm_email=True,
    forbids_open_remote_access=True)

PROFILES = {profile.name: profile for profile in (DEV, PROD)}
ENVIRONMENTS = tuple(PROFILES)
PROD_MIN_BACKUP_RETENTION_DAYS = PROD.min_backup_retention_days
