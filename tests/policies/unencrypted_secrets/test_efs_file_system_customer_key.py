import pytest

from policy_harness import UNKNOWN, messages, resource

RULE = "aws-efs-file-system-configure-customer-managed-key"
EFS = "aws:efs/fileSystem:FileSystem"
CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize("inputs", [
    {"encrypted": True, "kmsKeyId": CMK_ARN},
    {"encrypted": True, "kmsKeyId": UNKNOWN},
    {"encrypted": UNKNOWN},
])
def test_encrypted_with_a_customer_key_or_unknown_passes(inputs):
    assert messages([resource(EFS, inputs)], RULE) == []


@pytest.mark.parametrize("inputs, expected", [
    ({}, "`encrypted` is not true: the file system's data is stored unencrypted"),
    ({"encrypted": False}, "`encrypted` is not true: the file system's data is stored unencrypted"),
    ({"encrypted": True}, "no `kmsKeyId`: the data is not encrypted with a key you control"),
    ({"encrypted": True, "kmsKeyId": "alias/aws/elasticfilesystem"},
     "`kmsKeyId` is the AWS-managed key 'alias/aws/elasticfilesystem', not a customer-managed key"),
])
def test_unencrypted_or_aws_managed_file_systems_are_violations(inputs, expected):
    assert messages([resource(EFS, inputs)], RULE) == [expected]
