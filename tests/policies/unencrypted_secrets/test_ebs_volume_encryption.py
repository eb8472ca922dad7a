import pytest

from policy_harness import UNKNOWN, messages, resource

CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


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
