"""What a rule is, independent of the engine that runs it.

The same rule objects run under the Pulumi policy engine (see `pulumi_adapter`) and
offline over exports, previews and mocked programs (see `policies.engine`), so this
module imports nothing from pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

CATEGORIES = ("root-execution", "unencrypted-secrets", "missing-backups", "other")
ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")


@dataclass(frozen=True)
class Resource:
    """One resource, with `props` already normalised (see `common.values.normalise`)."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    parent: str | None = None
    id: str | None = None
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


ResourceCheck = Callable[[Resource, Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[[Sequence[Resource], Mapping[str, Any]], Iterable[tuple[str, str]]]


@dataclass(frozen=True, kw_only=True)
class Rule:
    name: str
    description: str
    # Left empty, the rule's family folder gives it (policies/rules/__init__.py).
    category: str = ""
    remediation: str
    enforcement: str = "mandatory"
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.category and self.category not in CATEGORIES:
            raise ValueError(f"rule {self.name}: unknown category {self.category!r}")
        if self.enforcement not in ENFORCEMENT_LEVELS:
            raise ValueError(f"rule {self.name}: unknown enforcement level {self.enforcement!r}")

    def defaults(self) -> dict[str, Any]:
        return {key: spec["default"] for key, spec in self.config_schema.items() if "default" in spec}


@dataclass(frozen=True, kw_only=True)
class ResourceRule(Rule):
    """Judges one resource at a time; `check` yields one message per violation."""

    resource_types: frozenset[str]
    check: ResourceCheck


@dataclass(frozen=True, kw_only=True)
class StackRule(Rule):
    """Judges the stack as a whole; `check` yields (urn, message) per violation."""

    check: StackCheck
