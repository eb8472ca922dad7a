import pytest

from policy_harness import DEV_CONFIG, PROD_CONFIG, UNKNOWN, messages, resource, violations, with_config

CLUSTER = "aws:rds/cluster:Cluster"
DB_INSTANCE = "aws:rds/instance:Instance"


# --- RDS backup retention ----------------------------------------------------------

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


# --- final snapshot and deletion protection ----------------------------------------

SNAPSHOT_RULE = "aws-rds-database-disallow-skip-final-snapshot"
PROTECTION_RULE = "aws-rds-database-enable-deletion-protection"


def test_skipping_the_final_snapshot_is_a_violation():
    assert messages([resource(CLUSTER, {"skipFinalSnapshot": True})], SNAPSHOT_RULE) == [
        "`skipFinalSnapshot` is true: deleting the cluster destroys its data without a snapshot"
    ]
    assert messages([resource(CLUSTER, {"skipFinalSnapshot": False})], SNAPSHOT_RULE) == []
    assert messages([resource(CLUSTER, {})], SNAPSHOT_RULE) == []


def test_deletion_protection_is_mandatory_in_prod_and_advisory_in_dev():
    unprotected = resource(CLUSTER, {"deletionProtection": False})
    prod = violations([unprotected], PROD_CONFIG, PROTECTION_RULE)
    dev = violations([unprotected], DEV_CONFIG, PROTECTION_RULE)
    assert [v["enforcementLevel"] for v in prod] == ["mandatory"]
    assert [v["enforcementLevel"] for v in dev] == ["advisory"]
    assert messages([resource(CLUSTER, {"deletionProtection": True})], PROTECTION_RULE) == []


# --- EBS volumes covered by DLM or AWS Backup --------------------------------------

EBS_RULE = "aws-ebs-volume-missing-backup-policy"
VOLUME = "aws:ebs/volume:Volume"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
DLM = "aws:dlm/lifecyclePolicy:LifecyclePolicy"
BACKUP_SELECTION = "aws:backup/selection:Selection"
NODE_TAGS = {"chainlink:backup": "daily", "Name": "chainlink-node"}


def dlm_policy(target_tags, resource_types=("VOLUME",), **extra):
    details = {"resourceTypes": list(resource_types), "targetTags": target_tags, "schedules": [{"name": "daily"}]}
    return resource(DLM, {"description": "node volumes", "policyDetails": details, **extra}, name="node-dlm")


def node_launch_template(volume_tags=NODE_TAGS, mappings=True):
    inputs = {
        "tagSpecifications": [
            {"resourceType": "instance", "tags": {"Name": "chainlink-node"}},
            {"resourceType": "volume", "tags": volume_tags},
        ],
    }
    if mappings:
        inputs["blockDeviceMappings"] = [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 30}}]
    return resource(LAUNCH_TEMPLATE, inputs, name="node-lt")


def test_launch_template_volumes_matched_by_dlm_target_tags_are_clean():
    assert messages([node_launch_template(), dlm_policy({"chainlink:backup": "daily"})], EBS_RULE) == []


def test_any_one_target_tag_selects_a_volume():
    policy = dlm_policy({"team": "platform", "chainlink:backup": "daily"})
    assert messages([node_launch_template(), policy], EBS_RULE) == []


def test_launch_template_volumes_without_matching_policy_are_a_violation():
    found = violations([node_launch_template(), dlm_policy({"chainlink:backup": "weekly"})], PROD_CONFIG, EBS_RULE)
    assert [(v["urn"].rsplit("::", 1)[-1], v["message"]) for v in found] == [
        ("node-lt", "the launch template's EBS volumes are not selected by any enabled DLM policy or AWS Backup "
                    "selection in this stack")
    ]


def test_standalone_volumes_need_a_policy_too():
    volume = resource(VOLUME, {"encrypted": True, "size": 100, "tags": {"Name": "data"}}, name="data")
    assert messages([volume], EBS_RULE) == [
        "volume is not selected by any enabled DLM policy or AWS Backup selection in this stack"
    ]
    assert messages([volume, dlm_policy({"Name": "data"})], EBS_RULE) == []


def test_a_disabled_dlm_policy_covers_nothing():
    policy = dlm_policy({"chainlink:backup": "daily"}, state="DISABLED")
    assert len(messages([node_launch_template(), policy], EBS_RULE)) == 1


def test_instance_policies_select_launch_template_instances_by_instance_tags():
    policy = dlm_policy({"Name": "chainlink-node"}, resource_types=("INSTANCE",))
    assert messages([node_launch_template(volume_tags={}), policy], EBS_RULE) == []


def test_aws_backup_selection_by_tag_or_wildcard_covers_volumes():
    by_tag = resource(BACKUP_SELECTION, {"selectionTags": [
        {"type": "STRINGEQUALS", "key": "chainlink:backup", "value": "daily"},
    ]})
    wildcard = resource(BACKUP_SELECTION, {"resources": ["arn:aws:ec2:*:*:volume/*"]})
    unrelated = resource(BACKUP_SELECTION, {"resources": ["arn:aws:rds:*:*:cluster:*"]})
    assert messages([node_launch_template(), by_tag], EBS_RULE) == []
    assert messages([node_launch_template(), wildcard], EBS_RULE) == []
    assert len(messages([node_launch_template(), unrelated], EBS_RULE)) == 1


def test_dlm_default_policy_covers_every_volume():
    default = resource(DLM, {"defaultPolicy": "VOLUME", "description": "default"})
    assert messages([node_launch_template(volume_tags={}), default], EBS_RULE) == []


def test_unknown_tags_cannot_be_judged():
    assert messages([node_launch_template(), dlm_policy(UNKNOWN)], EBS_RULE) == []
    assert messages([node_launch_template(volume_tags=UNKNOWN), dlm_policy({"x": "y"})], EBS_RULE) == []


def test_launch_template_without_ebs_mappings_is_not_judged():
    assert messages([node_launch_template(mappings=False)], EBS_RULE) == []


def test_exempt_tags_come_from_config():
    config = with_config({EBS_RULE: {"exemptTags": {"chainlink:backup": "none"}}})
    bastion = node_launch_template(volume_tags={"chainlink:backup": "none"})
    assert messages([bastion], EBS_RULE, config) == []
    assert len(messages([bastion], EBS_RULE, with_config({}))) == 1


# --- DynamoDB and S3 ---------------------------------------------------------------

def test_dynamodb_tables_need_point_in_time_recovery():
    rule, table = "aws-dynamodb-table-enable-point-in-time-recovery", "aws:dynamodb/table:Table"
    assert messages([resource(table, {"pointInTimeRecovery": {"enabled": True}})], rule) == []
    assert messages([resource(table, {"pointInTimeRecovery": UNKNOWN})], rule) == []
    assert len(messages([resource(table, {"hashKey": "id"})], rule)) == 1
    assert len(messages([resource(table, {"pointInTimeRecovery": {"enabled": False}})], rule)) == 1


S3_RULE = "aws-s3-bucket-enable-versioning"
BUCKET = "aws:s3/bucket:Bucket"


def versioning(bucket_reference, status="Enabled", resource_type="aws:s3/bucketVersioning:BucketVersioning", **extra):
    inputs = {"bucket": bucket_reference, "versioningConfiguration": {"status": status}}
    return resource(resource_type, inputs, name="logs-versioning", **extra)


def test_bucket_without_versioning_is_a_violation():
    assert messages([resource(BUCKET, {"bucket": "chainlink-logs"}, name="logs")], S3_RULE) == [
        "versioning is not enabled: no BucketVersioning with status Enabled names this bucket"
    ]


@pytest.mark.parametrize("link", [
    versioning("chainlink-logs"),
    versioning("chainlink-logs", resource_type="aws:s3/bucketVersioningV2:BucketVersioningV2"),
    versioning("logs-id-from-mock"),
    versioning(UNKNOWN, propertyDependencies={"bucket": ["urn:pulumi:test::chainlink-node-aws::aws:s3/bucket:Bucket::logs"]}),
    versioning(UNKNOWN),  # cannot tell which bucket it versions: no verdict
    versioning("chainlink-logs", status=UNKNOWN),
])
def test_bucket_versioning_resources_cover_their_bucket(link):
    bucket = resource(BUCKET, {"bucket": "chainlink-logs"}, name="logs", id="logs-id-from-mock")
    assert messages([bucket, link], S3_RULE) == []


def test_suspended_versioning_or_another_bucket_does_not_cover():
    bucket = resource(BUCKET, {"bucket": "chainlink-logs"}, name="logs")
    assert len(messages([bucket, versioning("chainlink-logs", status="Suspended")], S3_RULE)) == 1
    assert len(messages([bucket, versioning("other-bucket")], S3_RULE)) == 1


@pytest.mark.parametrize("inputs, violated", [
    ({"versioning": {"enabled": True}}, False),
    ({"versioning": {"enabled": False}}, True),
    ({"versionings": [{"enabled": True}]}, False),
    ({"versioning": UNKNOWN}, False),
])
def test_legacy_inline_versioning(inputs, violated):
    found = messages([resource("aws:s3/bucketV2:BucketV2", inputs)], S3_RULE)
    assert bool(found) is violated
