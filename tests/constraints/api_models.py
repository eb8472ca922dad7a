"""Planned values judged by botocore's service models, where CloudFormation has no rule.

Two kinds of constraint: the model's own members (enum, min, max, pattern), and, for EC2
security group rule descriptions, which the EC2 model states only in its documentation,
the "Allowed characters are ..." sentence of that documentation, read into a character
set (the provider's validSecurityGroupRuleDescription follows the same sentence).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

import botocore.session

from tests.constraints.planned import Plan, Planned


@dataclass(frozen=True)
class Member:
    service: str
    shape: str          # an operation's input ("op:PutObject") or a structure shape
    member: str


# Which API member receives each planned value. (Pulumi type, wire key) -> Member.
MEMBERS: dict[tuple[str, str], Member] = {
    ("aws:s3/bucketObjectv2:BucketObjectv2", "key"): Member("s3", "op:PutObject", "Key"),
    ("aws:s3/bucketObjectv2:BucketObjectv2", "serverSideEncryption"):
        Member("s3", "op:PutObject", "ServerSideEncryption"),
    ("aws:s3/bucketObjectv2:BucketObjectv2", "contentType"):
        Member("s3", "op:PutObject", "ContentType"),
    ("aws:iam/serviceLinkedRole:ServiceLinkedRole", "customSuffix"):
        Member("iam", "op:CreateServiceLinkedRole", "CustomSuffix"),
    ("aws:iam/serviceLinkedRole:ServiceLinkedRole", "description"):
        Member("iam", "op:CreateServiceLinkedRole", "Description"),
    ("aws:secretsmanager/secret:Secret", "description"):
        Member("secretsmanager", "op:CreateSecret", "Description"),
    ("aws:devopsguru/notificationChannel:NotificationChannel", "filters.severities[]"):
        Member("devops-guru", "NotificationFilterConfig", "Severities"),
    ("aws:devopsguru/notificationChannel:NotificationChannel", "filters.messageTypes[]"):
        Member("devops-guru", "NotificationFilterConfig", "MessageTypes"),
}

# A security group rule's description goes to the member of the rule's kind of peer.
RULE_DESCRIPTION_SHAPES = {"cidrBlocks": "IpRange", "cidrIpv4": "IpRange",
                           "ipv6CidrBlocks": "Ipv6Range", "cidrIpv6": "Ipv6Range",
                           "securityGroups": "UserIdGroupPair",
                           "referencedSecurityGroupId": "UserIdGroupPair",
                           "prefixListIds": "PrefixListId", "prefixListId": "PrefixListId"}
_RULE_TYPES = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
               "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")


@dataclass(frozen=True)
class Problem:
    resource: str
    wire_path: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.wire_path}={self.value!r}: {self.message}"


@lru_cache(maxsize=None)
def _model(service: str):
    return botocore.session.get_session().get_service_model(service)


def member_shape(member: Member):
    model = _model(member.service)
    if member.shape.startswith("op:"):
        shape = model.operation_model(member.shape[3:]).input_shape
    else:
        shape = model.shape_for(member.shape)
    found = shape.members[member.member]
    return found.member if found.type_name == "list" else found


_SURROGATE_PAIR = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", re.IGNORECASE)


def python_pattern(pattern: str) -> str:
    """AWS models write characters beyond U+FFFF as Java's UTF-16 surrogate pairs."""
    def code_point(match: re.Match) -> str:
        high, low = int(match.group(1), 16), int(match.group(2), 16)
        return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"
    return _SURROGATE_PAIR.sub(code_point, pattern)


def shape_problem(shape, value: Any) -> str | None:
    """Why the model's shape rejects the value, or None."""
    metadata = shape.metadata
    if shape.enum and value not in shape.enum:
        return f"not one of {shape.enum} ({shape.name})"
    size = len(value) if isinstance(value, str) else value
    if isinstance(size, (int, float)) and not isinstance(size, bool):
        if "min" in metadata and size < metadata["min"]:
            return f"below the minimum {metadata['min']} ({shape.name})"
        if "max" in metadata and size > metadata["max"]:
            return f"above the maximum {metadata['max']} ({shape.name})"
    if isinstance(value, str) and "pattern" in metadata \
            and not re.fullmatch(python_pattern(metadata["pattern"]), value):
        return f"does not match {metadata['pattern']!r} ({shape.name})"
    return None


_ALLOWED = re.compile(r"Allowed characters are (.+?)</p>")
_LENGTH = re.compile(r"Up to (\d+) characters")
_RANGES = {"a-z": "abcdefghijklmnopqrstuvwxyz", "A-Z": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
           "0-9": "0123456789", "spaces": " "}


@lru_cache(maxsize=None)
def documented_description_rule(shape_name: str) -> tuple[frozenset[str], int]:
    """The characters and length EC2's documentation allows for a rule description."""
    documentation = _model("ec2").shape_for(shape_name).members["Description"].documentation
    allowed = _ALLOWED.search(documentation)
    length = _LENGTH.search(documentation)
    if not allowed or not length:
        raise LookupError(f"botocore's EC2 {shape_name}.Description no longer documents its "
                          "characters: update tests/constraints/api_models.py")
    characters: set[str] = set()
    for part in html.unescape(allowed.group(1)).split(", "):
        part = part.removeprefix("and ")
        characters.update(_RANGES.get(part, part))
    return frozenset(characters), int(length.group(1))


def description_problem(shape_name: str, value: str) -> str | None:
    allowed, length = documented_description_rule(shape_name)
    bad = sorted(set(value) - allowed)
    if bad:
        return f"characters {''.join(bad)!r} are not allowed in an EC2 {shape_name} description"
    if len(value) > length:
        return f"longer than {length} characters"
    return None


def _rule_descriptions(resource: Planned) -> Iterator[tuple[str, str, str]]:
    """(wire path, peer shape, description) of every rule the resource declares."""
    if resource.type in _RULE_TYPES:
        rules = [("", resource.inputs)]
    elif resource.type in ("aws:ec2/securityGroup:SecurityGroup",
                           "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        rules = [(f"{direction}[{index}].", rule)
                 for direction in ("ingress", "egress")
                 for index, rule in enumerate(resource.inputs.get(direction) or [])]
    else:
        return
    for prefix, rule in rules:
        description = rule.get("description")
        if not isinstance(description, str):
            continue
        peers = [shape for key, shape in RULE_DESCRIPTION_SHAPES.items() if rule.get(key)]
        for shape in sorted(set(peers)) or ["IpRange"]:
            yield f"{prefix}description", shape, description


def _values(value: Any, parts: list[str]) -> Iterator[Any]:
    if not parts:
        yield value
        return
    head, rest = parts[0], parts[1:]
    key = head.removesuffix("[]")
    item = value.get(key) if isinstance(value, dict) else None
    if item is None:
        return
    if head.endswith("[]"):
        for element in item if isinstance(item, list) else [item]:
            yield from _values(element, rest)
    else:
        yield from _values(item, rest)


def problems(plan: Plan) -> list[Problem]:
    found = []
    for resource in plan.resources:
        label = f"{resource.type} {resource.name}"
        for (resource_type, wire), member in MEMBERS.items():
            if resource_type != resource.type:
                continue
            shape = member_shape(member)
            for value in _values(resource.inputs, wire.split(".")):
                problem = shape_problem(shape, value)
                if problem:
                    found.append(Problem(label, wire, value, problem))
        for wire, shape_name, description in _rule_descriptions(resource):
            problem = description_problem(shape_name, description)
            if problem:
                found.append(Problem(label, wire, description, problem))
    return found


def checked_values(plan: Plan) -> int:
    """How many planned values these rules judge (for the README's figures)."""
    count = 0
    for resource in plan.resources:
        for (resource_type, wire) in MEMBERS:
            if resource_type == resource.type:
                count += sum(1 for _ in _values(resource.inputs, wire.split(".")))
        count += sum(1 for _ in _rule_descriptions(resource))
    return count
