"""EBS volumes must be selected, by their tags, by a DLM policy or an AWS Backup selection in the stack.

A stack rule. Volumes are `aws.ebs.Volume` resources and the EBS volumes a launch
template declares (`blockDeviceMappings` with `ebs`): those carry the tags of the
template's `tagSpecifications` for "volume" (and "instance", for instance-based
policies). Only volumes that outlive their instance need a backup: a launch-template
mapping with `deleteOnTermination` true is stateless (the instance's root, rebuilt by
the Auto Scaling group) and is not judged, nor is a template without EBS mappings (it
only boots the AMI's root volume). Target tags select a resource when it has any one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

from ..common import ebs
from ..common.values import UNKNOWN, dig, flag, is_opaque, items, text
from ..model import Resource, StackRule

DLM_POLICY = "aws:dlm/lifecyclePolicy:LifecyclePolicy"
BACKUP_SELECTION = "aws:backup/selection:Selection"
VOLUME, INSTANCE = "VOLUME", "INSTANCE"
ALL_KINDS = frozenset({VOLUME, INSTANCE})
Tags = Mapping[str, Any]


@dataclass(frozen=True)
class Selector:
    """What one DLM policy or Backup selection backs up: resource kinds and target tags."""

    kinds: frozenset[str]
    tags: tuple[tuple[str, Any], ...] | None | object
    """(key, value) pairs, any of which selects; None selects everything; UNKNOWN can't be judged."""

    def selects(self, kind: str, tags: Tags) -> bool | None:
        if kind not in self.kinds:
            return False
        if self.tags is None:
            return True
        if self.tags is UNKNOWN:
            return None
        verdict: bool | None = False
        for key, value in self.tags:
            if key not in tags:
                continue
            if is_opaque(value) or is_opaque(tags[key]):
                verdict = None
            elif str(tags[key]) == str(value):
                return True
        return verdict


def check(resources: Sequence[Resource], config: Mapping) -> Iterator[tuple[str, str]]:
    targets = list(_targets(resources))
    if not targets:
        return
    selectors = [selector for resource in resources for selector in _selectors(resource)]
    exempt = Selector(ALL_KINDS, tuple(config.get("exemptTags", {}).items()))
    for urn, label, tags_by_kind in targets:
        if _covered(exempt, tags_by_kind) is True:
            continue
        if all(_covered(selector, tags_by_kind) is False for selector in selectors):
            yield urn, f"{label} not selected by any enabled DLM policy or AWS Backup selection in this stack"


def _covered(selector: Selector, tags_by_kind: Mapping[str, Tags | None]) -> bool | None:
    verdict: bool | None = False
    for kind, tags in tags_by_kind.items():
        selected = None if tags is None else selector.selects(kind, tags)
        if selected is True:
            return True
        if selected is None:
            verdict = None
    return verdict


def _targets(resources: Sequence[Resource]) -> Iterator[tuple[str, str, dict[str, Tags | None]]]:
    for resource in resources:
        if resource.type == ebs.VOLUME:
            yield resource.urn, "volume is", {VOLUME: _tags(resource.props.get("tags"))}
        elif resource.type == ebs.LAUNCH_TEMPLATE and any(
            flag(settings.get("deleteOnTermination")) is not True
            for _, settings in ebs.launch_template_volumes(resource.props)
        ):
            yield resource.urn, "the launch template's EBS volumes are", {
                VOLUME: _tag_specification(resource.props, "volume"),
                INSTANCE: _tag_specification(resource.props, "instance"),
            }


def _tags(value: Any) -> Tags | None:
    if is_opaque(value):
        return None
    return value if isinstance(value, dict) else {}


def _tag_specification(props: Mapping, resource_type: str) -> Tags | None:
    specifications = props.get("tagSpecifications")
    if is_opaque(specifications):
        return None
    merged: dict[str, Any] = {}
    for specification in items(specifications):
        kind = dig(specification, "resourceType")
        if is_opaque(kind):
            return None
        if kind == resource_type:
            tags = _tags(dig(specification, "tags"))
            if tags is None:
                return None
            merged.update(tags)
    return merged


def _selectors(resource: Resource) -> Iterator[Selector]:
    if resource.type == DLM_POLICY and resource.props.get("state") != "DISABLED":
        yield from _dlm_selectors(resource.props)
    elif resource.type == BACKUP_SELECTION:
        yield from _backup_selectors(resource.props)


def _dlm_selectors(props: Mapping) -> Iterator[Selector]:
    default_policy = props.get("defaultPolicy")
    if isinstance(default_policy, str) and default_policy:  # a default policy covers the whole region
        yield Selector(frozenset({default_policy.upper()}), None)
        return
    details = props.get("policyDetails")
    if is_opaque(details):
        yield Selector(ALL_KINDS, UNKNOWN)
        return
    if not isinstance(details, dict) or details.get("policyType") == "EVENT_BASED_POLICY":
        return
    kinds = details.get("resourceTypes")
    target_tags = details.get("targetTags")
    yield Selector(
        ALL_KINDS if is_opaque(kinds) or not kinds else frozenset(str(kind).upper() for kind in items(kinds)),
        UNKNOWN if is_opaque(target_tags) else tuple((target_tags or {}).items()),
    )


def _backup_selectors(props: Mapping) -> Iterator[Selector]:
    resources = props.get("resources")
    for arn in [resources] if is_opaque(resources) else items(resources):
        if is_opaque(arn):
            yield Selector(ALL_KINDS, UNKNOWN)
        elif kinds := _kinds_in_arn_pattern(text(arn) or ""):
            yield Selector(kinds, None)
    selection_tags = items(props.get("selectionTags")) if not is_opaque(props.get("selectionTags")) else [UNKNOWN]
    if any(is_opaque(dig(entry, field)) for entry in selection_tags for field in ("type", "key", "value")):
        yield Selector(ALL_KINDS, UNKNOWN)
        return
    pairs = tuple(
        (entry["key"], entry.get("value"))
        for entry in selection_tags
        if isinstance(entry, dict) and "key" in entry
        and str(entry.get("type") or "STRINGEQUALS").upper() == "STRINGEQUALS"
    )
    if pairs:
        yield Selector(ALL_KINDS, pairs)


def _kinds_in_arn_pattern(arn: str) -> frozenset[str]:
    if arn == "*":
        return ALL_KINDS
    if arn.endswith("/*") and ":volume/" in arn:
        return frozenset({VOLUME})
    if arn.endswith("/*") and ":instance/" in arn:
        return frozenset({INSTANCE})
    return frozenset()


RULE = StackRule(
    name="aws-ebs-volume-missing-backup-policy",
    description=(
        "EBS volumes (aws.ebs.Volume and launch-template EBS mappings) must be selected by their tags by an "
        "enabled Data Lifecycle Manager policy or an AWS Backup selection in the same stack."
    ),
    remediation=(
        "Tag the volumes (launch template `tagSpecifications` with resourceType \"volume\") and add a DLM "
        "lifecycle policy whose `policyDetails.targetTags` (or an AWS Backup selection whose `selectionTags`) match."
    ),
    config_schema={
        "exemptTags": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "default": {},
            "description": "Tags (key: value) that mark volumes as holding no data worth backing up.",
        },
    },
    check=check,
)
