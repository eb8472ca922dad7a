"""EBS volumes must be encrypted, wherever they are declared."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common import ebs
from ..common.values import flag, shown
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    if resource.type == ebs.VOLUME:
        volumes = iter([("volume", resource.props)])
    elif resource.type == ebs.LAUNCH_TEMPLATE:
        volumes = ebs.launch_template_volumes(resource.props)
    else:
        volumes = ebs.instance_volumes(resource.props)
    for label, settings in volumes:
        if _is_unencrypted(settings):
            yield f"{label} is not encrypted (`encrypted` is {shown(settings.get('encrypted'))})"


def _is_unencrypted(settings: Mapping) -> bool:
    encrypted = settings.get("encrypted")
    if encrypted is None and settings.get("snapshotId") is not None:
        return False  # follows the snapshot's encryption, which is not visible here
    return flag(encrypted) is False


RULE = ResourceRule(
    name="aws-ebs-volume-enable-encryption",
    description=(
        "EBS volumes must be encrypted: `aws.ebs.Volume`, launch-template block devices (`encrypted: \"true\"`) "
        "and the root and EBS block devices that instances and launch configurations declare."
    ),
    remediation="Set `encrypted` to true (the string \"true\" in launch templates) and `kmsKeyId` to a customer-managed key.",
    resource_types=frozenset({ebs.VOLUME, ebs.LAUNCH_TEMPLATE}) | ebs.INSTANCE_TYPES,
    check=check,
)
