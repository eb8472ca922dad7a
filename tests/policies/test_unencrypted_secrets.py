import json

import pytest

from policy_harness import (
    UNKNOWN,
    UNKNOWN_BOOL,
    b64,
    encrypted_secret,
    gzip_b64,
    messages,
    node_host_cloud_config,
    resource,
    secret,
    with_config,
)

CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


# --- Secrets Manager ---------------------------------------------------------------

SECRET_RULE = "aws-secretsmanager-secret-configure-customer-key"
SECRET = "aws:secretsmanager/secret:Secret"


@pytest.mark.parametrize("key", [CMK_ARN, "alias/chainlink", secret(CMK_ARN), encrypted_secret(), UNKNOWN])
def test_secret_with_customer_key_or_unjudgeable_key_is_clean(key):
    assert messages([resource(SECRET, {"kmsKeyId": key})], SECRET_RULE) == []


@pytest.mark.parametrize("inputs, expected", [
    ({}, "no `kmsKeyId`"),
    ({"kmsKeyId": ""}, "no `kmsKeyId`"),
    ({"kmsKeyId": "alias/aws/secretsmanager"}, "AWS-managed key"),
    ({"kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:alias/aws/secretsmanager"}, "AWS-managed key"),
])
def test_secret_without_customer_key_is_a_violation(inputs, expected):
    findings = messages([resource(SECRET, inputs)], SECRET_RULE)
    assert len(findings) == 1 and expected in findings[0]


# --- SSM parameters ----------------------------------------------------------------

SSM_RULE = "aws-ssm-parameter-configure-secure-string"
PARAMETER = "aws:ssm/parameter:Parameter"


@pytest.mark.parametrize("inputs", [
    {"name": "/chainlink/prod/log-level", "type": "String", "value": "info"},
    {"name": "/app/proxy-bypass", "type": "String", "value": "10.0.0.0/8"},
    {"name": "/app/compass", "type": "String", "value": "north"},
    {"name": "/chainlink/prod/api-password", "type": "SecureString", "value": secret("x" * 20)},
    {"name": "/chainlink/prod/db-password-arn", "type": "String", "value": "arn:aws:secretsmanager:..."},
    {"name": "/chainlink/prod/kms-key-id", "type": "String", "value": "1234abcd"},
    {"name": "/chainlink/prod/api-token", "type": UNKNOWN},
])
def test_parameters_that_are_not_secret_or_are_secure_are_clean(inputs):
    assert messages([resource(PARAMETER, inputs)], SSM_RULE) == []


@pytest.mark.parametrize("inputs", [
    {"name": "/chainlink/prod/api-password", "type": "String", "value": "x"},
    {"name": "/chainlink/prod/keystore-passphrase", "type": "StringList", "value": "x"},
    {"name": "/chainlink/prod/explorer", "type": "String", "description": "Explorer API token", "value": "x"},
    {"name": "/chainlink/prod/signing-key", "type": "String", "value": "x"},
    {"name": "/app/dbPass", "type": "String", "value": "x"},
    {"name": "/app/DB_PASS", "type": "String", "value": "x"},
    {"type": "String", "value": "x"},  # autonamed from the resource name below
])
def test_secret_parameters_stored_as_string_are_violations(inputs):
    parameter = resource(PARAMETER, inputs, name="db-password")
    findings = messages([parameter], SSM_RULE)
    assert len(findings) == 1 and "holds a secret by its name or description" in findings[0]


@pytest.mark.parametrize("value", [secret('{"chain": 1, "logLevel": "info"}'), encrypted_secret(), "10.0.0.0/8"])
def test_a_harmless_string_parameter_passes_whether_or_not_the_wire_wraps_it(value):
    """pulumi-aws marks every parameter value secret on the wire: the wrapper is no evidence."""
    parameter = resource(PARAMETER, {"name": "/chainlink/prod/node-settings", "type": "String", "value": value})
    assert messages([parameter], SSM_RULE) == []


@pytest.mark.parametrize("value", ["AKIAABCDEFGHIJKLMNOP", secret("AKIAABCDEFGHIJKLMNOP")])
def test_a_recognisable_secret_value_in_a_string_parameter_is_a_violation(value):
    parameter = resource(PARAMETER, {"name": "/chainlink/prod/node-settings", "type": "String", "value": value})
    assert messages([parameter], SSM_RULE) == [
        "parameter '/chainlink/prod/node-settings' holds an AWS access key id but is stored as String"
    ]


def test_secret_name_patterns_come_from_config():
    config = with_config({SSM_RULE: {"secretNamePatterns": ["^rpc-"]}})
    rpc = resource(PARAMETER, {"name": "/chainlink/rpc-wss", "type": "String", "value": "wss://x"})
    password = resource(PARAMETER, {"name": "/chainlink/password", "type": "String", "value": "x"})
    assert len(messages([rpc], SSM_RULE, config)) == 1
    assert messages([password], SSM_RULE, config) == []


# --- RDS storage encryption --------------------------------------------------------

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


# --- EBS encryption ----------------------------------------------------------------

EBS_RULE = "aws-ebs-volume-enable-encryption"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"


def lt_with_ebs(**ebs):
    return resource(LAUNCH_TEMPLATE, {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": ebs}]})


@pytest.mark.parametrize("candidate", [
    resource("aws:ebs/volume:Volume", {"encrypted": True, "size": 10}),
    resource("aws:ebs/volume:Volume", {"snapshotId": "snap-1"}),  # follows the snapshot
    lt_with_ebs(encrypted="true", kmsKeyId=CMK_ARN, volumeType="gp3"),
    lt_with_ebs(encrypted=UNKNOWN),
    resource(LAUNCH_TEMPLATE, {"blockDeviceMappings": [{"deviceName": "/dev/sdb", "virtualName": "ephemeral0"}]}),
    resource(INSTANCE, {"rootBlockDevice": {"encrypted": True}, "ebsBlockDevices": [{"deviceName": "/dev/sdf", "encrypted": True}]}),
    resource(INSTANCE, {"rootBlockDevice": UNKNOWN}),  # known only after the deployment
])
def test_encrypted_volumes_are_clean(candidate):
    assert messages([candidate], EBS_RULE) == []


@pytest.mark.parametrize("candidate, expected", [
    (resource("aws:ebs/volume:Volume", {"size": 10}), "volume is not encrypted (`encrypted` is not set)"),
    (resource("aws:ebs/volume:Volume", {"encrypted": False}), "volume is not encrypted (`encrypted` is false)"),
    (lt_with_ebs(encrypted="false"), "block device /dev/xvda is not encrypted (`encrypted` is 'false')"),
    (lt_with_ebs(volumeSize=30), "block device /dev/xvda is not encrypted (`encrypted` is not set)"),
    (resource(INSTANCE, {"rootBlockDevice": {"volumeSize": 30}}), "root block device is not encrypted"),
    (resource(INSTANCE, {"ami": "ami-12345678", "instanceType": "t3.micro"}),
     "root block device (not declared: the AMI's default) is not encrypted (`encrypted` is not set)"),
    (resource(INSTANCE, {"rootBlockDevice": {"encrypted": True}, "ebsBlockDevices": [{"deviceName": "/dev/sdf"}]}),
     "EBS block device /dev/sdf is not encrypted"),
])
def test_unencrypted_volumes_are_violations(candidate, expected):
    findings = messages([candidate], EBS_RULE)
    assert len(findings) == 1 and findings[0].startswith(expected), findings


# --- plaintext secrets in user data ------------------------------------------------

USER_DATA_RULE = "aws-ec2-instance-disallow-plaintext-secrets"
LEAKED = "correct-horse-battery-staple"


def user_data_findings(user_data) -> list[str]:
    return messages([resource(LAUNCH_TEMPLATE, {"userData": user_data})], USER_DATA_RULE)


@pytest.mark.parametrize("script, expected", [
    (f"export DB_PASSWORD={LEAKED}", "user data contains a literal value for DB_PASSWORD"),
    (f'Environment="KEYSTORE_PASSWORD={LEAKED}"', "user data contains a literal value for KEYSTORE_PASSWORD"),
    (f"docker run -u 1 -e API_TOKEN='{LEAKED}' img", "user data contains a literal value for API_TOKEN"),
    (f"URL = 'postgresql://chainlink:{LEAKED}@db:5432/chainlink'", "user data contains a URL with a password"),
    (f"password: {LEAKED}", "user data contains a literal value for password"),
    (f'api_password = "{LEAKED}"', "user data contains a literal value for api_password"),
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "user data contains an AWS access key id"),
    ("cat > /root/key <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\nEOF", "user data contains a private key"),
])
def test_plaintext_secrets_in_user_data_are_violations(script, expected):
    for encode in (b64, gzip_b64):
        findings = user_data_findings(encode("#!/bin/bash\n" + script + "\n"))
        assert len(findings) == 1 and findings[0].startswith(expected), findings
        assert LEAKED not in findings[0]


@pytest.mark.parametrize("script", [
    "DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id chainlink/db --query SecretString --output text)",
    "API_TOKEN=${API_TOKEN}",
    "DB_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:111122223333:secret:chainlink/db-AbCdEf",
    "KEYSTORE_PASSWORD_FILE=/run/chainlink/keystore-password",
    'password: "{{resolve:secretsmanager:chainlink/db:SecretString:password}}"',
    "URL = 'postgresql://chainlink:${DB_PASSWORD}@db:5432/chainlink'",
    'TOKEN=$(curl -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")',
    "LOG_LEVEL=debug",
    # code that handles secrets read at run time (e.g. an agent written by cloud-init)
    'password = secret["keystorePassword"]',
    'Keystore = "{password}"',
    "connection = connect(user=user, password=password)",
    "api_token = config.api_token",
    "password = keystore_password",
])
def test_references_to_secrets_are_clean(script):
    assert user_data_findings(b64("#!/bin/bash\n" + script + "\n")) == []


def test_secret_in_a_cloud_config_written_file_is_found():
    document = (
        "#cloud-config\nwrite_files:\n  - path: /etc/chainlink/secrets.toml\n    encoding: b64\n"
        f"    content: {b64('[Password]' + chr(10) + 'Keystore = ' + repr(LEAKED) + chr(10))}\n"
    )
    assert user_data_findings(b64(document)) == ["user data contains a literal value for Keystore"]


def test_prose_in_comments_is_not_an_assignment():
    script = "# The node never sees a secret: the agent reads it at start.\n# password: rotated monthly\n"
    assert user_data_findings(b64("#!/bin/bash\n" + script)) == []


def test_a_commented_out_literal_password_is_still_a_leak():
    findings = user_data_findings(b64(f"#!/bin/bash\n# export DB_PASSWORD={LEAKED}\n"))
    assert findings == ["user data contains a literal value for DB_PASSWORD"]


def test_our_node_host_cloud_config_has_no_plaintext_secret():
    assert user_data_findings(b64(node_host_cloud_config())) == []


def test_encrypted_user_data_cannot_be_scanned():
    assert user_data_findings(encrypted_secret()) == []


def test_secret_wrapped_user_data_is_scanned_as_the_engine_scans_it():
    """User data is readable by anyone with ec2:DescribeInstanceAttribute, wrapped or not."""
    assert user_data_findings(secret(b64(f"DB_PASSWORD={LEAKED}"))) == ["user data contains a literal value for DB_PASSWORD"]


# --- plaintext secrets in ECS environment ------------------------------------------

ECS_RULE = "aws-ecs-task-definition-disallow-plaintext-secrets"


def task_with_environment(*environment, secrets=()):
    container = {"name": "node", "image": "img:1", "user": "1", "environment": list(environment), "secrets": list(secrets)}
    return resource("aws:ecs/taskDefinition:TaskDefinition", {"containerDefinitions": json.dumps([container])})


def test_environment_literal_secret_is_a_violation():
    task = task_with_environment({"name": "DATABASE_PASSWORD", "value": LEAKED}, {"name": "LOG_LEVEL", "value": "info"})
    assert messages([task], ECS_RULE) == ["container 'node' sets DATABASE_PASSWORD to a literal value in `environment`"]


def test_environment_with_embedded_credentials_is_a_violation():
    task = task_with_environment({"name": "DATABASE_URL", "value": f"postgresql://cl:{LEAKED}@db/cl"})
    assert messages([task], ECS_RULE) == [
        "container 'node' has a URL with a password written into it in environment variable DATABASE_URL"
    ]


def test_arns_in_environment_and_value_from_secrets_are_clean():
    task = task_with_environment(
        {"name": "DB_SECRET_ARN", "value": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbC"},
        {"name": "API_TOKEN", "value": "arn:aws:ssm:eu-west-1:111122223333:parameter/chainlink/api-token"},
        secrets=[{"name": "DATABASE_PASSWORD", "valueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:db"}],
    )
    assert messages([task], ECS_RULE) == []


# --- SNS, log groups, KMS rotation -------------------------------------------------

@pytest.mark.parametrize("rule, resource_type, field", [
    ("aws-sns-topic-configure-kms-key", "aws:sns/topic:Topic", "kmsMasterKeyId"),
    ("aws-cloudwatch-log-group-configure-kms-key", "aws:cloudwatch/logGroup:LogGroup", "kmsKeyId"),
])
def test_topics_and_log_groups_need_a_kms_key(rule, resource_type, field):
    assert messages([resource(resource_type, {field: CMK_ARN})], rule) == []
    assert messages([resource(resource_type, {field: UNKNOWN})], rule) == []
    assert messages([resource(resource_type, {"name": "alarms"})], rule) == [
        f"no `{field}`: the data is not encrypted with a key you control"
    ]


ROTATION_RULE = "aws-kms-key-enable-rotation"
KEY = "aws:kms/key:Key"


@pytest.mark.parametrize("inputs", [
    {"enableKeyRotation": True},
    {"customerMasterKeySpec": "HMAC_256", "keyUsage": "GENERATE_VERIFY_MAC"},
    {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"},
    {"customerMasterKeySpec": "ECC_SECG_P256K1", "keyUsage": "SIGN_VERIFY"},
    {"customKeyStoreId": "cks-1234"},
    {"enableKeyRotation": UNKNOWN_BOOL},
    {"customerMasterKeySpec": UNKNOWN},
])
def test_rotating_or_non_rotatable_keys_are_clean(inputs):
    assert messages([resource(KEY, inputs)], ROTATION_RULE) == []


@pytest.mark.parametrize("inputs", [{}, {"enableKeyRotation": False}, {"customerMasterKeySpec": "SYMMETRIC_DEFAULT"}])
def test_symmetric_keys_without_rotation_are_violations(inputs):
    assert messages([resource(KEY, inputs)], ROTATION_RULE) == [
        "`enableKeyRotation` is not true: the key material never changes"
    ]
