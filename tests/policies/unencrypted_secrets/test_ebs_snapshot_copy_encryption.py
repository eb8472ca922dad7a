import pytest

from policy_harness import UNKNOWN, messages, resource

RULE = "aws-ebs-snapshot-copy-enable-encryption"
COPY = "aws:ebs/snapshotCopy:SnapshotCopy"
DLM = "aws:dlm/lifecyclePolicy:LifecyclePolicy"
CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def dlm_with_copy(rule):
    return resource(DLM, {"policyDetails": {"schedules": [{"name": "daily", "crossRegionCopyRules": [rule]}]}})


@pytest.mark.parametrize("candidate", [
    resource(COPY, {"sourceSnapshotId": "snap-1", "encrypted": True, "kmsKeyId": CMK_ARN}),
    resource(COPY, {"sourceSnapshotId": "snap-1", "encrypted": UNKNOWN}),
    dlm_with_copy({"target": "eu-central-1", "encrypted": True, "cmkArn": CMK_ARN}),
    dlm_with_copy({"target": "eu-central-1", "encrypted": True}),  # the target region's default EBS key
    resource(DLM, {"policyDetails": {"schedules": [{"name": "daily"}]}}),
])
def test_encrypted_copies_pass(candidate):
    assert messages([candidate], RULE) == []


@pytest.mark.parametrize("candidate, expected", [
    (resource(COPY, {"sourceSnapshotId": "snap-1"}),
     "the copy is not `encrypted`: a copy of an unencrypted snapshot stays unencrypted"),
    (resource(COPY, {"sourceSnapshotId": "snap-1", "encrypted": True, "kmsKeyId": "alias/aws/ebs"}),
     "the copy: `kmsKeyId` is the AWS-managed key 'alias/aws/ebs', not a customer-managed key"),
    (dlm_with_copy({"target": "eu-central-1", "encrypted": False}),
     "cross-region copy rule 0 of schedule 'daily' is not `encrypted`: a copy of an unencrypted snapshot stays unencrypted"),
])
def test_unencrypted_copies_are_violations(candidate, expected):
    assert messages([candidate], RULE) == [expected]
