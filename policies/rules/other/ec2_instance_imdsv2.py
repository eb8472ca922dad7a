"""Instances must require IMDSv2 session tokens (or switch the metadata service off)."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.userdata import EC2_TYPES_WITH_USER_DATA
from ..common.values import dig, is_opaque, shown
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    options = resource.props.get("metadataOptions")
    tokens, endpoint = dig(options, "httpTokens"), dig(options, "httpEndpoint")
    if is_opaque(tokens) or is_opaque(endpoint) or tokens == "required" or endpoint == "disabled":
        return
    yield f"`metadataOptions.httpTokens` is {shown(tokens)}: IMDSv1 lets any SSRF read the instance role's credentials"


RULE = ResourceRule(
    name="aws-ec2-instance-configure-imdsv2",
    enforcement="advisory",
    description="EC2 instances, launch templates and launch configurations must require IMDSv2 (`httpTokens: required`).",
    remediation="Set `metadataOptions: {httpTokens: \"required\", httpPutResponseHopLimit: 1 (2 for containers on bridge networks)}`.",
    resource_types=EC2_TYPES_WITH_USER_DATA,
    check=check,
)
