"""Wrap the rules as pulumi-policy policies, for the real engine.

The engine hands validations proxies that raise on unknown values; the rules instead
get plain wire-form data with unknowns as markers, so an unknown is never a crash and
never a violation. Imported only by the pack's `__main__.py` and by tests.
"""

from __future__ import annotations

from typing import Any, Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import serialize_properties

from . import ALL_RULES
from .common.limits import DocumentError, check_tree
from .common.values import normalise
from .model import Resource, ResourceRule, Rule, StackRule


def build_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [to_pulumi_policy(rule) for rule in ALL_RULES]


def to_pulumi_policy(rule: Rule) -> ResourceValidationPolicy | StackValidationPolicy:
    metadata: dict[str, Any] = {
        "name": rule.name,
        "description": rule.description,
        "enforcement_level": EnforcementLevel(rule.enforcement),
        "config_schema": PolicyConfigSchema(properties=dict(rule.config_schema)) if rule.config_schema else None,
        "remediation_steps": rule.remediation,
        "tags": [rule.category],
    }
    if isinstance(rule, ResourceRule):
        return ResourceValidationPolicy(validate=_resource_validation(rule), **metadata)
    if isinstance(rule, StackRule):
        return StackValidationPolicy(validate=_stack_validation(rule), **metadata)
    raise TypeError(f"rule {rule.name} is neither a resource nor a stack rule")


def _resource_validation(rule: ResourceRule):
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.resource_types:
            return
        try:
            props = _plain(args.props)
            check_tree(props, "inputs")
        except (DocumentError, RecursionError) as problem:  # the engine has no exit 2: a violation, never a pass
            report_violation(f"inputs cannot be inspected: {problem}", None)
            return
        resource = Resource(
            urn=args.urn,
            type=args.resource_type,
            name=args.name,
            props=props,
            parent=getattr(args.opts, "parent", None),
        )
        for message in dict.fromkeys(rule.check(resource, _settings(rule, args.get_config()))):
            report_violation(message, None)

    return validate


def _stack_validation(rule: StackRule):
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [
            Resource(
                urn=resource.urn,
                type=resource.resource_type,
                name=resource.name,
                props=_plain(resource.props),
                parent=resource.parent.urn if resource.parent else None,
                property_dependencies={
                    key: [dependency.urn for dependency in dependencies]
                    for key, dependencies in (resource.property_dependencies or {}).items()
                },
            )
            for resource in args.resources
        ]
        for urn, message in dict.fromkeys(rule.check(resources, _settings(rule, args.get_config()))):
            report_violation(message, urn)

    return validate


def _plain(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """Unwrap the SDK's unknown-checking proxies without reading through them."""
    return normalise(serialize_properties(props))


def _settings(rule: Rule, configured: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**rule.defaults(), **dict(configured or {})}
