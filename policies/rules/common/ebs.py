"""Where EBS volumes are declared: volumes, launch-template mappings, instance block devices."""

from __future__ import annotations

from typing import Iterator

from .values import dig, items, text

VOLUME = "aws:ebs/volume:Volume"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE_TYPES = frozenset({
    "aws:ec2/instance:Instance",
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
    "aws:ec2/launchConfiguration:LaunchConfiguration",
})


def launch_template_volumes(props: dict) -> Iterator[tuple[str, dict]]:
    """(label, ebs settings) per EBS mapping of a launch template; `encrypted` is a string there."""
    for mapping in items(props.get("blockDeviceMappings")):
        ebs = dig(mapping, "ebs")
        if isinstance(ebs, dict):
            yield f"block device {_device_name(mapping)}", ebs


def instance_volumes(props: dict) -> Iterator[tuple[str, dict]]:
    """(label, settings) for the root and EBS block devices of an instance.

    An instance always has a root volume: one it does not declare is the AMI's default,
    unencrypted unless the account turned on EBS encryption by default, which a stack
    cannot see; so it counts as declared without `encrypted`.
    """
    root = props.get("rootBlockDevice")
    if isinstance(root, dict):
        yield "root block device", root
    elif root is None:
        yield "root block device (not declared: the AMI's default)", {}
    for device in items(props.get("ebsBlockDevices")):
        if isinstance(device, dict):
            yield f"EBS block device {_device_name(device)}", device


def _device_name(device: dict) -> str:
    return text(device.get("deviceName")) or "(unnamed)"
