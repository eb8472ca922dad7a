"""Run the policy pack offline: over mocked programs (`ops preview`), exports and previews (`ops audit`).

The rules are the ones the Pulumi engine runs (see `rules/pulumi_adapter.py`); this
module only feeds them resources in wire form and collects violations as
`{"policy", "category", "enforcementLevel", "urn", "message"}`. Nothing here imports
pulumi, so `ops` stays fast and needs no engine.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

from .rules.common.limits import check_tree
from .policy_config import PolicyConfig, PolicySettings, default_policy_config, load_policy_config, parse_policy_config
from .rules import ALL_RULES, Resource, ResourceRule, Rule, StackRule
from .rules.common.values import SECRET_PLACEHOLDER, mask_secrets, normalise

__all__ = [
    "SECRET_PLACEHOLDER",
    "PolicyConfig",
    "default_policy_config",
    "evaluate",
    "format_report",
    "has_mandatory",
    "load_policy_config",
    "mask_secrets",
    "normalise",
    "parse_policy_config",
    "parse_urn",
]

URN_PREFIX = "urn:pulumi:"


def parse_urn(urn: str) -> tuple[str, str]:
    """(type, name) of `urn:pulumi:<stack>::<project>::<parent types$...$type>::<name>`."""
    if not isinstance(urn, str) or not urn.startswith(URN_PREFIX):
        raise ValueError(f"not a Pulumi URN: {urn!r}")
    parts = urn[len(URN_PREFIX):].split("::", 3)
    if len(parts) != 4 or not parts[2]:
        raise ValueError(f"not a Pulumi URN: {urn!r}")
    qualified_type, name = parts[2], parts[3]
    return qualified_type.rsplit("$", 1)[-1], name


def evaluate(resources: Iterable[Mapping[str, Any]], config: PolicyConfig | None = None) -> list[dict]:
    """Violations of every enabled policy over `resources` ({"urn", "type", "name", "parent", "inputs"}).

    Optional keys: "id" and "propertyDependencies" (as in exports) help stack rules
    link resources, e.g. a BucketVersioning to its bucket.
    """
    config = config or default_policy_config()
    prepared = [_resource(entry) for entry in resources]
    enabled = [(rule, settings) for rule in ALL_RULES if (settings := config.for_rule(rule)).enforcement != "disabled"]
    rules_by_type: dict[str, list[tuple[ResourceRule, PolicySettings]]] = defaultdict(list)
    for rule, settings in enabled:
        if isinstance(rule, ResourceRule):
            for resource_type in rule.resource_types:
                rules_by_type[resource_type].append((rule, settings))
    violations = []
    for resource in prepared:
        for rule, settings in rules_by_type.get(resource.type, ()):
            for message in dict.fromkeys(rule.check(resource, settings.properties)):
                violations.append(_violation(rule, settings, resource.urn, message))
    for rule, settings in enabled:
        if isinstance(rule, StackRule):
            for urn, message in dict.fromkeys(rule.check(prepared, settings.properties)):
                violations.append(_violation(rule, settings, urn, message))
    return violations


def has_mandatory(violations: Iterable[Mapping[str, Any]]) -> bool:
    return any(violation["enforcementLevel"] == "mandatory" for violation in violations)


def format_report(violations: Sequence[Mapping[str, Any]]) -> str:
    """One line per violation, mandatory first, and a summary line."""
    ordered = sorted(violations, key=lambda v: (v["enforcementLevel"] != "mandatory", v["category"], v["policy"]))
    lines = [
        f"{v['enforcementLevel'].upper():9} {v['policy']} [{v['category']}] {_short_urn(v['urn'])}: {v['message']}"
        for v in ordered
    ]
    mandatory = sum(1 for v in violations if v["enforcementLevel"] == "mandatory")
    advisory = len(violations) - mandatory
    verdict = "blocked" if mandatory else "passed"
    lines.append(f"Policies {verdict}: {mandatory} mandatory, {advisory} advisory violation(s).")
    return "\n".join(lines)


def _short_urn(urn: str) -> str:
    try:
        resource_type, name = parse_urn(urn)
    except ValueError:
        return urn or "(stack)"
    return f"{resource_type}::{name}"


def _resource(entry: Mapping[str, Any]) -> Resource:
    urn = entry.get("urn")
    resource_type, name = entry.get("type"), entry.get("name")
    if not resource_type or not name:
        parsed_type, parsed_name = parse_urn(urn)  # type: ignore[arg-type]
        resource_type, name = resource_type or parsed_type, name or parsed_name
    for key, value in (("type", resource_type), ("name", name)):
        if not isinstance(value, str):
            raise ValueError(f"resource {urn!r}: `{key}` is a {type(value).__name__}, not a string")
    inputs = entry.get("inputs")
    check_tree(inputs, f"resource {urn}")
    return Resource(
        urn=urn,  # type: ignore[arg-type]
        type=resource_type,
        name=name,
        props=normalise(inputs) if isinstance(inputs, dict) else {},
        parent=entry.get("parent") or None,
        id=entry.get("id") if isinstance(entry.get("id"), str) else None,
        property_dependencies=entry.get("propertyDependencies") or {},
    )


def _violation(rule: Rule, settings: PolicySettings, urn: str, message: str) -> dict:
    return {
        "policy": rule.name,
        "category": rule.category,
        "enforcementLevel": settings.enforcement,
        "urn": urn,
        "message": message,
    }
