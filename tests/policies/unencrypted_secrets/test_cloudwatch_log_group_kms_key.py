from policy_harness import UNKNOWN, messages, resource

RULE = "aws-cloudwatch-log-group-configure-kms-key"
TYPE = "aws:cloudwatch/logGroup:LogGroup"
CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_log_groups_with_a_key_or_an_unknown_key_are_clean():
    assert messages([resource(TYPE, {"kmsKeyId": CMK_ARN})], RULE) == []
    assert messages([resource(TYPE, {"kmsKeyId": UNKNOWN})], RULE) == []


def test_log_groups_without_a_key_are_violations():
    assert messages([resource(TYPE, {"name": "alarms"})], RULE) == [
        "no `kmsKeyId`: the data is not encrypted with a key you control"
    ]


def test_an_aws_managed_key_is_not_a_customer_key():
    field = {"aws:sns/topic:Topic": "kmsMasterKeyId"}.get(TYPE, "kmsKeyId")
    assert messages([resource(TYPE, {field: "alias/aws/sns"})], RULE) == [
        f"`{field}` is the AWS-managed key 'alias/aws/sns', not a customer-managed key"
    ]
