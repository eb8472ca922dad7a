"""Bastion tier (optional): a small Auto Scaling group of SSH jump hosts in public subnets."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws_context import amazon_linux_ami
from components.kit import TierComponent
from components.tags import BACKUP_TAG_KEY, NO_BACKUP
from components.iam import service_trust_policy

BASTION_ROOT_VOLUME_GB = 8

# Key-only SSH, no root login, no X11; TCP forwarding stays on because it is what
# `ssh -J bastion node-host` (ProxyJump) needs.
SSHD_HARDENING = """\
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
X11Forwarding no
AllowAgentForwarding no
ClientAliveInterval 300
ClientAliveCountMax 2
"""


@dataclass
class BastionArgs:
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    public_subnet_ids: list[pulumi.Input[str]]
    remote_access_cidr: str
    instance_type: str = "t3.micro"
    host_count: int = 1
    key_name: str = ""
    # arn:<partition>:... so the hosts work in GovCloud and China regions too.
    partition: pulumi.Input[str] = "aws"
    tags: dict[str, str] = field(default_factory=dict)


def bastion_user_data() -> str:
    """cloud-init that hardens sshd before the first login; base64 as EC2 expects."""
    cloud_config = "#cloud-config\n" + json.dumps({
        "write_files": [{
            "path": "/etc/ssh/sshd_config.d/50-bastion.conf",
            "permissions": "0600",
            "owner": "root:root",
            "content": SSHD_HARDENING,
        }],
        "runcmd": [["systemctl", "restart", "sshd"]],
    }, indent=2) + "\n"
    return base64.b64encode(cloud_config.encode()).decode()


class Bastion(TierComponent):
    """SSH jump hosts: SSH only from `remote_access_cidr`, IMDSv2, encrypted root volume.

    SSM Session Manager reaches the node hosts without any of this; the bastion is for
    operators whose tooling needs plain SSH.
    """

    TYPE = "chainlink:index:Bastion"

    security_group_id: pulumi.Output[str]
    group_name: pulumi.Output[str]

    def _build(self, name: str, args: BastionArgs) -> None:
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=args.vpc_id,
            description="SSH to the bastion from the operators network only",
            ingress=[{"protocol": "tcp", "from_port": 22, "to_port": 22,
                      "cidr_blocks": [args.remote_access_cidr],
                      "description": "SSH from remoteAccessCidr"}],
            egress=[
                {"protocol": "tcp", "from_port": 22, "to_port": 22,
                 "cidr_blocks": [args.vpc_cidr], "description": "SSH on to hosts in the VPC"},
                {"protocol": "tcp", "from_port": 443, "to_port": 443,
                 "cidr_blocks": ["0.0.0.0/0"], "description": "SSM and package updates"},
            ],
            tags={"Name": f"{name}-bastion"}, opts=self._child())
        self.security_group_id = security_group.id

        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            opts=self._child())
        aws.iam.RolePolicyAttachment(
            f"{name}-ssm-core", role=role.name,
            policy_arn=pulumi.Output.concat(
                "arn:", args.partition, ":iam::aws:policy/AmazonSSMManagedInstanceCore"),
            opts=self._child())
        profile = aws.iam.InstanceProfile(f"{name}-profile", role=role.name, opts=self._child())

        tags = {**args.tags, "Name": f"{name}-bastion", "chainlink:role": "bastion"}
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            image_id=amazon_linux_ami(args.instance_type, pulumi.InvokeOptions(parent=self)),
            instance_type=args.instance_type,
            key_name=args.key_name or None,
            iam_instance_profile={"arn": profile.arn},
            metadata_options={"http_endpoint": "enabled", "http_tokens": "required",
                              "http_put_response_hop_limit": 1},
            block_device_mappings=[{
                "device_name": "/dev/xvda",
                "ebs": {"volume_type": "gp3", "volume_size": BASTION_ROOT_VOLUME_GB,
                        "encrypted": "true", "delete_on_termination": "true"},
            }],
            network_interfaces=[{"associate_public_ip_address": "true",
                                 "security_groups": [security_group.id],
                                 "delete_on_termination": "true"}],
            user_data=bastion_user_data(),
            # A bastion's disk holds only the AMI: a replacement host is as good as a restore.
            tag_specifications=[{"resource_type": "instance", "tags": tags},
                                {"resource_type": "volume",
                                 "tags": {**tags, BACKUP_TAG_KEY: NO_BACKUP}}],
            update_default_version=True,
            opts=self._child())

        group = aws.autoscaling.Group(
            f"{name}-asg",
            min_size=args.host_count, max_size=args.host_count,
            desired_capacity=args.host_count,
            vpc_zone_identifiers=args.public_subnet_ids,
            health_check_type="EC2",
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            instance_refresh={"strategy": "Rolling",
                              "preferences": {"min_healthy_percentage": 0}},
            tags=[{"key": key, "value": value, "propagate_at_launch": False}
                  for key, value in sorted(tags.items())],
            opts=self._child())
        self.group_name = group.name
