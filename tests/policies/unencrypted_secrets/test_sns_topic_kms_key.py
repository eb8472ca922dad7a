from policy_harness import UNKNOWN, messages, resource

RULE = "aws-sns-topic-configure-kms-key"
TYPE = "aws:sns/topic:Topic"
CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_topics_with_a_key_or_an_unknown_key_are_clean():
    assert messages([resource(TYPE, {"kmsMasterKeyId": CMK_ARN})], RULE) == []
    assert messages([resource(TYPE, {"kmsMasterKeyId": UNKNOWN})], RULE) == []


def test_topics_without_a_key_are_violations():
    assert messages([resource(TYPE, {"name": "alarms"})], RULE) == [
        "no `kmsMasterKeyId`: the data is not encrypted with a key you control"
    ]


def test_an_aws_managed_key_is_not_a_customer_key():
    field = {"aws:sns/topic:Topic": "kmsMasterKeyId"}.get(TYPE, "kmsKeyId")
    assert messages([resource(TYPE, {field: "alias/aws/sns"})], RULE) == [
        f"`{field}` is the AWS-managed key 'alias/aws/sns', not a customer-managed key"
    ]
