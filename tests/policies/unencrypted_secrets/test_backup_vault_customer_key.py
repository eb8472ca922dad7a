from policy_harness import UNKNOWN, messages, resource

RULE = "aws-backup-vault-configure-customer-managed-key"
VAULT = "aws:backup/vault:Vault"
CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_vault_with_a_customer_key_or_an_unknown_key_passes():
    assert messages([resource(VAULT, {"kmsKeyArn": CMK_ARN})], RULE) == []
    assert messages([resource(VAULT, {"kmsKeyArn": UNKNOWN})], RULE) == []


def test_vault_without_a_customer_key_is_a_violation():
    assert messages([resource(VAULT, {"name": "node"})], RULE) == [
        "no `kmsKeyArn`: the data is not encrypted with a key you control"]
    assert messages([resource(VAULT, {"kmsKeyArn": "alias/aws/backup"})], RULE) == [
        "`kmsKeyArn` is the AWS-managed key 'alias/aws/backup', not a customer-managed key"]
