import pytest

from policy_harness import UNKNOWN, UNKNOWN_BOOL, messages, resource

CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


RDS_RULE = "aws-rds-database-enable-storage-encryption"
CLUSTER = "aws:rds/cluster:Cluster"
DB_INSTANCE = "aws:rds/instance:Instance"


@pytest.mark.parametrize("resource_type, inputs", [
    (CLUSTER, {"storageEncrypted": True, "kmsKeyId": CMK_ARN}),
    (DB_INSTANCE, {"storageEncrypted": True}),
    (DB_INSTANCE, {"replicateSourceDb": "source-db"}),  # replicas inherit the source's encryption
    (DB_INSTANCE, {"replicateSourceDb": UNKNOWN}),
    (CLUSTER, {"storageEncrypted": UNKNOWN_BOOL}),
    ("aws:rds/clusterInstance:ClusterInstance", {"clusterIdentifier": "db"}),  # judged at cluster level
])
def test_encrypted_replica_or_unknown_databases_are_clean(resource_type, inputs):
    assert messages([resource(resource_type, inputs)], RDS_RULE) == []


@pytest.mark.parametrize("resource_type, inputs, expected", [
    (CLUSTER, {"storageEncrypted": False}, "`storageEncrypted` is false: the cluster's"),
    (CLUSTER, {}, "`storageEncrypted` is not set: the cluster's"),
    (DB_INSTANCE, {"storageEncrypted": "false"}, "`storageEncrypted` is 'false': the instance's"),
])
def test_unencrypted_databases_are_violations(resource_type, inputs, expected):
    findings = messages([resource(resource_type, inputs)], RDS_RULE)
    assert len(findings) == 1 and findings[0].startswith(expected)
