"""Database tier properties per stack, read from the inputs the engine would receive."""

from __future__ import annotations

import re

import pytest

from stack_config import PROD_MIN_BACKUP_RETENTION_DAYS
from components.database import (PASSWORD_ROTATION_SCHEDULE, DatabaseArgs, cluster_identifier,
                                 postgres_log_group_name)
from tests.conftest import inputs_of

EXPECTED = {"dev": {"instances": 1, "retention": 3, "log_days": 7},
            "prod": {"instances": 2, "retention": 14, "log_days": 90}}


def only(run, resource_type):
    (resource,) = run.of_type(resource_type)
    return resource


def key_arn_of(run, suffix):
    """The ARN of this stack's KMS key named *suffix, built from the id its alias targets."""
    (alias,) = [a for a in run.of_type("aws:kms/alias:Alias") if a.name.endswith(f"{suffix}-alias")]
    return f"arn:aws:kms:us-east-1:{account_of(run)}:key/{inputs_of(alias)['targetKeyId']}"


def account_of(run):
    return {"dev": "111111111111", "prod": "222222222222"}[run.stack]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_one_encrypted_aurora_postgres_cluster_on_the_data_key(stack_run, stack):
    run = stack_run(stack)
    clusters = run.of_type("aws:rds/cluster:Cluster")
    assert len(clusters) == 1
    cluster = inputs_of(clusters[0])
    assert cluster["engine"] == "aurora-postgresql"
    assert 14 <= int(cluster["engineVersion"].split(".")[0]) <= 17
    assert cluster["storageEncrypted"] is True
    assert cluster["kmsKeyId"] == key_arn_of(run, "data-key")
    assert cluster["copyTagsToSnapshot"] is True
    assert cluster["deleteAutomatedBackups"] is False


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_retention_and_windows(stack_run, stack):
    cluster = inputs_of(only(stack_run(stack), "aws:rds/cluster:Cluster"))
    assert cluster["backupRetentionPeriod"] == EXPECTED[stack]["retention"]
    if stack == "prod":
        assert cluster["backupRetentionPeriod"] >= PROD_MIN_BACKUP_RETENTION_DAYS
    assert cluster["preferredBackupWindow"] == "03:00-04:00"
    assert cluster["preferredMaintenanceWindow"] == "sun:04:30-sun:05:30"


@pytest.mark.parametrize("days", ["1", "35"])
def test_retention_follows_the_config(stack_run, days):
    cluster = inputs_of(only(stack_run("dev", backupRetentionDays=days),
                             "aws:rds/cluster:Cluster"))
    assert cluster["backupRetentionPeriod"] == int(days)


def test_prod_cannot_be_deleted_by_accident(stack_run):
    run = stack_run("prod")
    cluster = only(run, "aws:rds/cluster:Cluster")
    inputs = inputs_of(cluster)
    assert inputs["deletionProtection"] is True
    assert inputs["skipFinalSnapshot"] is False
    assert re.fullmatch(r"chainlink-prod-final-[0-9a-f]{8}", inputs["finalSnapshotIdentifier"])
    stateful = [cluster, *run.of_type("aws:rds/clusterInstance:ClusterInstance"),
                *[g for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")
                  if g.name.endswith("db-log")]]
    assert len(stateful) == 4 and all(resource.protect for resource in stateful)


def test_dev_can_be_torn_down_but_still_leaves_a_final_snapshot(stack_run):
    run = stack_run("dev")
    cluster = only(run, "aws:rds/cluster:Cluster")
    inputs = inputs_of(cluster)
    assert inputs["deletionProtection"] is False
    assert inputs["skipFinalSnapshot"] is False and inputs["finalSnapshotIdentifier"]
    assert not cluster.protect


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_writer_and_reader_in_different_zones(stack_run, stack):
    run = stack_run(stack)
    # Registration order is not guaranteed: sort by identifier.
    instances = sorted((inputs_of(i) for i in run.of_type("aws:rds/clusterInstance:ClusterInstance")),
                       key=lambda inputs: inputs["identifier"])
    assert len(instances) == EXPECTED[stack]["instances"]
    assert len({i["availabilityZone"] for i in instances}) == len(instances)
    assert [i["identifier"] for i in instances] == [
        f"chainlink-{stack}-{n + 1}" for n in range(len(instances))]
    data_key = key_arn_of(run, "data-key")
    for instance in instances:
        assert instance["clusterIdentifier"] == f"chainlink-{stack}"
        assert instance["publiclyAccessible"] is False
        assert instance["performanceInsightsEnabled"] is True
        assert instance["performanceInsightsKmsKeyId"] == data_key
        assert instance["caCertIdentifier"] == "rds-ca-rsa2048-g1"
        assert instance["autoMinorVersionUpgrade"] is False


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_tls_is_required(stack_run, stack):
    run = stack_run(stack)
    group = inputs_of(only(run, "aws:rds/clusterParameterGroup:ClusterParameterGroup"))
    assert group["family"] == "aurora-postgresql16"
    parameters = {p["name"]: p["value"] for p in group["parameters"]}
    assert parameters == {"rds.force_ssl": "1", "ssl_min_protocol_version": "TLSv1.2"}
    cluster = inputs_of(only(run, "aws:rds/cluster:Cluster"))
    assert cluster["dbClusterParameterGroupName"].startswith("chainlink-db-params-")


def test_parameter_family_follows_the_engine_version(stack_run):
    run = stack_run("dev", dbEngineVersion="15.8")
    group = inputs_of(only(run, "aws:rds/clusterParameterGroup:ClusterParameterGroup"))
    assert group["family"] == "aurora-postgresql15"
    instances = run.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert {inputs_of(i)["engineVersion"] for i in instances} == {"15.8"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_password_in_the_program_only_an_rds_managed_secret_on_our_key(stack_run, stack):
    run = stack_run(stack)
    cluster = inputs_of(only(run, "aws:rds/cluster:Cluster"))
    assert cluster["manageMasterUserPassword"] is True
    assert "masterPassword" not in cluster
    assert cluster["masterUserSecretKmsKeyId"] == key_arn_of(run, "data-key")
    assert cluster["masterUsername"] == cluster["databaseName"] == "chainlink"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_managed_password_rotates_monthly_in_office_hours(stack_run, stack):
    run = stack_run(stack)
    rotation = inputs_of(only(run, "aws:secretsmanager/secretRotation:SecretRotation"))
    assert rotation["secretId"].startswith(
        f"arn:aws:secretsmanager:us-east-1:{account_of(run)}:secret:rds!cluster-")
    assert rotation["rotationRules"] == {"scheduleExpression": PASSWORD_ROTATION_SCHEDULE,
                                         "duration": "2h"}
    assert rotation["rotateImmediately"] is False
    assert run.outputs["databaseCredentialsSecretArn"] == rotation["secretId"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_postgres_log_goes_to_our_encrypted_log_group(stack_run, stack):
    run = stack_run(stack)
    cluster = inputs_of(only(run, "aws:rds/cluster:Cluster"))
    assert cluster["enabledCloudwatchLogsExports"] == ["postgresql"]
    (group,) = [g for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")
                if g.name.endswith("db-log")]
    inputs = inputs_of(group)
    # RDS writes to exactly this name; had it to create the group, it would be unencrypted
    # and kept for ever.
    assert inputs["name"] == f"/aws/rds/cluster/{cluster['clusterIdentifier']}/postgresql"
    assert inputs["kmsKeyId"] == key_arn_of(run, "telemetry-key")
    assert inputs["retentionInDays"] == EXPECTED[stack]["log_days"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_network_placement_private_and_closed(stack_run, stack):
    run = stack_run(stack)
    subnet_group = inputs_of(only(run, "aws:rds/subnetGroup:SubnetGroup"))
    private = [s.name for s in run.of_type("aws:ec2/subnet:Subnet") if "-private-" in s.name]
    assert sorted(s.rsplit("-", 1)[0] for s in subnet_group["subnetIds"]) == sorted(private)
    (group,) = [g for g in run.of_type("aws:ec2/securityGroup:SecurityGroup")
                if g.name.endswith("db-sg")]
    inputs = inputs_of(group)
    # The node tier adds the one ingress rule, from its own security group.
    assert inputs.get("ingress", []) == [] and inputs.get("egress", []) == []
    cluster = inputs_of(only(run, "aws:rds/cluster:Cluster"))
    (group_id,) = cluster["vpcSecurityGroupIds"]
    assert group_id.startswith(f"{group.name}-")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cluster_is_tagged_with_its_stack_for_verify_backups(stack_run, stack):
    run = stack_run(stack)
    cluster = inputs_of(only(run, "aws:rds/cluster:Cluster"))
    assert cluster["tags"] == {"chainlink:stack": stack}
    assert cluster["clusterIdentifier"] == f"chainlink-{stack}"
    assert run.outputs["databaseClusterIdentifier"] == f"chainlink-{stack}"


@pytest.mark.parametrize("stack,expected", [
    ("prod", "chainlink-prod"),
    ("Team_A.Staging", "chainlink-team-a-staging"),
    ("x" * 80, "chainlink-" + "x" * 46),
])
def test_cluster_identifier_is_a_valid_rds_name(stack, expected):
    identifier = cluster_identifier("chainlink", stack)
    assert identifier == expected
    assert postgres_log_group_name(identifier) == f"/aws/rds/cluster/{identifier}/postgresql"


@pytest.mark.parametrize("changes,fragment", [
    ({"backup_retention_days": 0}, "backup_retention_days"),
    ({"backup_retention_days": 36}, "backup_retention_days"),
    ({"instance_count": 3}, "one per zone"),
])
def test_database_args_refuse_unsafe_values(changes, fragment):
    base = dict(vpc_id="vpc", subnet_ids=["a", "b"], availability_zones=["z1", "z2"],
                kms_key_arn="k", log_kms_key_arn="l", log_retention_days=7,
                engine_version="16.6", instance_class="db.r6g.large", instance_count=2,
                port=5432, backup_retention_days=7, deletion_protection=True)
    with pytest.raises(ValueError, match=fragment):
        DatabaseArgs(**{**base, **changes})


def test_each_life_of_the_cluster_gets_its_own_final_snapshot_name(stack_run):
    """A snapshot outlives its cluster: the name carries a random suffix created with the
    cluster (and destroyed with it), so the next destroy of the same stack cannot collide."""
    run = stack_run("prod")
    (suffix,) = run.of_type("random:index/randomId:RandomId")
    assert inputs_of(suffix)["keepers"] == {"cluster": "chainlink-prod"}
    assert inputs_of(suffix)["byteLength"] == 4
    cluster = inputs_of(only(run, "aws:rds/cluster:Cluster"))
    assert cluster["finalSnapshotIdentifier"].startswith("chainlink-prod-final-")

