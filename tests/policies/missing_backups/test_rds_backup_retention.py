import pytest

from policy_harness import DEV_CONFIG, PROD_CONFIG, UNKNOWN, messages, resource, violations, with_config

CLUSTER = "aws:rds/cluster:Cluster"
DB_INSTANCE = "aws:rds/instance:Instance"


RETENTION_RULE = "aws-rds-database-configure-backup-retention"


@pytest.mark.parametrize("config, inputs", [
    (PROD_CONFIG, {"backupRetentionPeriod": 7}),
    (PROD_CONFIG, {"backupRetentionPeriod": 35}),
    (DEV_CONFIG, {"backupRetentionPeriod": 1}),
    (DEV_CONFIG, {}),  # AWS default of 1 day meets dev's minimum
    (PROD_CONFIG, {"backupRetentionPeriod": UNKNOWN}),
])
def test_retention_at_or_above_the_minimum_is_clean(config, inputs):
    assert messages([resource(CLUSTER, inputs)], RETENTION_RULE, config) == []


@pytest.mark.parametrize("inputs, expected", [
    ({"backupRetentionPeriod": 3}, "`backupRetentionPeriod` is 3 day(s); at least 7 required"),
    ({"backupRetentionPeriod": 0}, "`backupRetentionPeriod` is 0 day(s); at least 7 required"),
    ({}, "`backupRetentionPeriod` is not set (AWS default 1 day); at least 7 required"),
])
def test_retention_below_the_prod_minimum_is_a_violation(inputs, expected):
    assert messages([resource(CLUSTER, inputs)], RETENTION_RULE) == [expected]


def test_minimum_retention_comes_from_config():
    config = with_config({RETENTION_RULE: {"minimumRetentionDays": 14}})
    assert messages([resource(DB_INSTANCE, {"backupRetentionPeriod": 7})], RETENTION_RULE, config) == [
        "`backupRetentionPeriod` is 7 day(s); at least 14 required"
    ]


def test_read_replicas_and_cluster_instances_are_exempt_from_database_backup_rules():
    replica = resource(DB_INSTANCE, {"replicateSourceDb": "primary", "skipFinalSnapshot": True})
    cluster_replica = resource(CLUSTER, {"replicationSourceIdentifier": "arn:aws:rds:...:cluster:src"})
    member = resource("aws:rds/clusterInstance:ClusterInstance", {"clusterIdentifier": "db"})
    found = violations([replica, cluster_replica, member], PROD_CONFIG)
    assert [v for v in found if v["category"] == "missing-backups"] == []
