import pytest

from policy_harness import PROD_CONFIG, UNKNOWN, messages, resource, violations, with_config


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


def stateless_launch_template(*mappings):
    return resource(LAUNCH_TEMPLATE, {"blockDeviceMappings": list(mappings)}, name="web-lt")


def test_a_launch_template_whose_volumes_die_with_the_instance_needs_no_backup():
    root = {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "deleteOnTermination": "true"}}
    assert messages([stateless_launch_template(root)], EBS_RULE) == []


@pytest.mark.parametrize("data", [
    {"deviceName": "/dev/xvdb", "ebs": {"encrypted": "true", "deleteOnTermination": "false"}},
    {"deviceName": "/dev/xvdb", "ebs": {"encrypted": "true"}},  # not said: AWS's default for data volumes is to keep them
])
def test_a_volume_that_outlives_its_instance_needs_a_backup(data):
    root = {"deviceName": "/dev/xvda", "ebs": {"deleteOnTermination": "true"}}
    assert messages([stateless_launch_template(root, data)], EBS_RULE) == [
        "the launch template's EBS volumes are not selected by any enabled DLM policy or AWS Backup selection in this stack"
    ]
