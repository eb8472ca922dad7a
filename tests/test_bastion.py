"""Bastion tier: optional, SSH only from remoteAccessCidr, IMDSv2, encrypted root volume."""

from __future__ import annotations

import base64
import json

import pytest

from tests.conftest import inputs_of


def test_bastion_is_optional(stack_run):
    assert stack_run("prod").of_type("chainlink:index:Bastion") == []
    assert len(stack_run("dev").of_type("chainlink:index:Bastion")) == 1


def test_ssh_only_from_the_remote_access_cidr(stack_run):
    run = stack_run("dev")
    (group,) = [g for g in run.of_type("aws:ec2/securityGroup:SecurityGroup")
                if g.name == "chainlink-bastion-sg"]
    (rule,) = inputs_of(group)["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["protocol"]) == (22, 22, "tcp")
    assert rule["cidrBlocks"] == ["198.51.100.0/24"]


def _bastion_template(run):
    (template,) = [t for t in run.of_type("aws:ec2/launchTemplate:LaunchTemplate")
                   if t.name == "chainlink-bastion-lt"]
    return inputs_of(template)


def test_launch_template_requires_imdsv2_and_encrypts_the_root_volume(stack_run):
    template = _bastion_template(stack_run("dev"))
    assert template["metadataOptions"]["httpTokens"] == "required"
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (device,) = template["blockDeviceMappings"]
    assert device["ebs"]["encrypted"] == "true"
    assert device["ebs"]["volumeType"] == "gp3"
    assert template["imageId"].startswith("ami-")


def test_user_data_hardens_sshd(stack_run):
    template = _bastion_template(stack_run("dev"))
    document = base64.b64decode(template["userData"]).decode()
    assert document.startswith("#cloud-config\n")
    (drop_in,) = json.loads(document.split("\n", 1)[1])["write_files"]
    assert "PermitRootLogin no" in drop_in["content"]
    assert "PasswordAuthentication no" in drop_in["content"]


def test_group_size_and_placement_follow_the_config(stack_run):
    run = stack_run("dev", bastionCount="2", bastionInstanceType="t4g.nano")
    (group,) = [g for g in run.of_type("aws:autoscaling/group:Group")
                if g.name == "chainlink-bastion-asg"]
    inputs = inputs_of(group)
    assert inputs["minSize"] == inputs["maxSize"] == inputs["desiredCapacity"] == 2
    assert all("-public-" in subnet for subnet in inputs["vpcZoneIdentifiers"])
    assert inputs["healthCheckType"] == "EC2"
    assert _bastion_template(run)["instanceType"] == "t4g.nano"


def test_graviton_types_get_the_arm64_image(stack_run):
    from components.aws_context import cpu_architecture
    assert [cpu_architecture(t) for t in ("t4g.nano", "m7g.large", "c7gn.xlarge",
                                          "t3.micro", "m6i.large", "g5.xlarge")] == \
        ["arm64", "arm64", "arm64", "x86_64", "x86_64", "x86_64"]


@pytest.mark.parametrize("region,partition", [("us-east-1", "aws"),
                                              ("us-gov-west-1", "aws-us-gov")])
def test_hosts_are_managed_through_ssm_in_the_stacks_partition(stack_run, region, partition):
    run = stack_run("dev", **{"aws:region": region})
    policies = {a.name: inputs_of(a)["policyArn"] for a in run.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.name.endswith("-ssm-core")}
    assert policies == {
        name: f"arn:{partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
        for name in ("chainlink-bastion-ssm-core", "chainlink-node-ssm-core")}
