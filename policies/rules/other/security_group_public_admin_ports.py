"""Administrative ports (SSH, RDP) must not be open to the whole internet."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from ..common.values import is_opaque, items, number, text
from ..model import Resource, ResourceRule

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
WORLD = frozenset({"0.0.0.0/0", "::/0"})
ALL_PROTOCOLS = frozenset({"-1", "all"})
TCP = frozenset({"tcp", "6"})


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    for label, rule in _ingress_rules(resource):
        open_ports = _open_admin_ports(rule, [int(port) for port in config["ports"]])  # gRPC sends floats
        if open_ports and _is_world_open(rule):
            yield f"{label} opens port(s) {', '.join(map(str, open_ports))} to the internet"


def _ingress_rules(resource: Resource) -> Iterator[tuple[str, Mapping]]:
    """(label, {protocol, fromPort, toPort, cidrs}) for each ingress rule the resource declares."""
    props = resource.props
    if resource.type == SECURITY_GROUP:
        for index, rule in enumerate(items(props.get("ingress"))):
            if isinstance(rule, dict):
                yield f"ingress rule #{index + 1}", _normalised(rule, rule.get("protocol"), _cidrs(rule))
    elif resource.type == SECURITY_GROUP_RULE and props.get("type") == "ingress":
        yield "ingress rule", _normalised(props, props.get("protocol"), _cidrs(props))
    elif resource.type == INGRESS_RULE:
        yield "ingress rule", _normalised(props, props.get("ipProtocol"), [props.get("cidrIpv4"), props.get("cidrIpv6")])


def _cidrs(rule: Mapping) -> list:
    return items(rule.get("cidrBlocks")) + items(rule.get("ipv6CidrBlocks"))


def _normalised(rule: Mapping, protocol: Any, cidrs: list) -> dict:
    return {"protocol": protocol, "fromPort": rule.get("fromPort"), "toPort": rule.get("toPort"), "cidrs": cidrs}


def _open_admin_ports(rule: Mapping, admin_ports: list[int]) -> list[int]:
    protocol = text(rule["protocol"])
    if protocol is None:
        return []
    protocol = protocol.lower()
    if protocol in ALL_PROTOCOLS:
        return list(admin_ports)
    low, high = number(rule["fromPort"]), number(rule["toPort"])
    if protocol not in TCP or low is None or high is None:
        return []
    if low == -1 and high == -1:  # the API's "all ports"
        return list(admin_ports)
    return [port for port in admin_ports if low <= port <= high]


def _is_world_open(rule: Mapping) -> bool:
    return any(not is_opaque(cidr) and cidr in WORLD for cidr in rule["cidrs"])


RULE = ResourceRule(
    name="aws-ec2-security-group-disallow-public-admin-ports",
    enforcement="advisory",
    description="Security groups must not open administrative ports (SSH 22, RDP 3389 by default) to 0.0.0.0/0 or ::/0.",
    remediation="Restrict the source to your own CIDR (`remoteAccessCidr`) or use SSM Session Manager instead of SSH.",
    resource_types=frozenset({SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE}),
    config_schema={
        "ports": {
            "type": "array",
            "items": {"type": "integer"},
            "default": [22, 3389],
            "description": "Ports that must never be reachable from the whole internet.",
        },
    },
    check=check,
)
