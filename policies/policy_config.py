"""Policy pack config files, read the way `pulumi preview --policy-pack-config` reads them.

`{"all": "<level>", "<policy>": "<level>" | {"enforcementLevel": "<level>", "<prop>": ...}}`.
Resolution follows the Pulumi CLI: each rule's default level and schema defaults,
then `all`, then the policy's own entry. This reader is stricter than the CLI in two
ways, both to catch typos: an unknown policy name and an unknown property are errors.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import re2

from .rules import ALL_RULES, RULES_BY_NAME, Rule
from .rules.model import ENFORCEMENT_LEVELS

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False

ALL_POLICIES = "all"
ENFORCEMENT_KEY = "enforcementLevel"
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


@dataclass(frozen=True)
class PolicySettings:
    enforcement: str
    """advisory, mandatory or disabled (remediate is reported as mandatory, as the SDK does)."""
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class PolicyConfig:
    source: str
    settings: Mapping[str, PolicySettings]

    def for_rule(self, rule: Rule) -> PolicySettings:
        return self.settings[rule.name]


def default_policy_config() -> PolicyConfig:
    return parse_policy_config({}, source="built-in defaults")


def load_policy_config(path: str | Path) -> PolicyConfig:
    """Read and check a policy config file; ValueError with one line naming problem and fix."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read policy config {path}: {error.strerror or error}") from None
    try:
        data = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as error:
        raise ValueError(f"policy config {path} is not valid JSON ({error.msg} at line {error.lineno})") from None
    return parse_policy_config(data, source=str(path))


def parse_policy_config(data: Any, source: str) -> PolicyConfig:
    if not isinstance(data, dict):
        raise ValueError(f"policy config {source} must be a JSON object of policy names")
    for name in data:
        if name != ALL_POLICIES and name not in RULES_BY_NAME:
            raise ValueError(f"policy config {source}: unknown policy {name!r}{_suggestion(name)}")
    everything = _level_for_all(data[ALL_POLICIES], source) if ALL_POLICIES in data else None
    settings = {}
    for rule in ALL_RULES:
        level = everything or rule.enforcement
        properties = rule.defaults()
        if rule.name in data:
            own_level, own_properties = _entry(data[rule.name], rule, source)
            level = own_level or level
            properties.update(own_properties)
        for key, value in properties.items():  # the engine validates defaults too
            _check_value(value, rule.config_schema[key], f"{source}: {rule.name}.{key}")
        settings[rule.name] = PolicySettings("mandatory" if level == "remediate" else level, properties)
    return PolicyConfig(source, settings)


def _entry(entry: Any, rule: Rule, source: str) -> tuple[str | None, dict[str, Any]]:
    where = f"{source}: {rule.name}"
    if isinstance(entry, str):
        return _level(entry, source, rule.name), {}
    if not isinstance(entry, dict):
        raise ValueError(f"policy config {where} must be an enforcement level or an object")
    properties = {key: value for key, value in entry.items() if key != ENFORCEMENT_KEY}
    for key, value in properties.items():
        schema = rule.config_schema.get(key)
        if schema is None:
            known = ", ".join(rule.config_schema) or "none"
            raise ValueError(f"policy config {where}: unknown property {key!r} (known: {known})")
        _check_value(value, schema, f"{where}.{key}")
    level = _level(entry[ENFORCEMENT_KEY], source, rule.name) if ENFORCEMENT_KEY in entry else None
    return level, properties


def _level_for_all(entry: Any, source: str) -> str:
    value = entry.get(ENFORCEMENT_KEY) if isinstance(entry, dict) else entry
    return _level(value, source, ALL_POLICIES)


def _level(value: Any, source: str, name: str) -> str:
    if value not in ENFORCEMENT_LEVELS:
        allowed = ", ".join(ENFORCEMENT_LEVELS)
        raise ValueError(f"policy config {source}: {name} has enforcement level {value!r}; use one of {allowed}")
    return value


def _check_value(value: Any, schema: Mapping[str, Any], where: str) -> None:
    """The subset of JSON Schema the rules' config schemas use."""
    expected = schema.get("type")
    if expected and (not isinstance(value, _JSON_TYPES[expected]) or (expected != "boolean" and isinstance(value, bool))):
        raise ValueError(f"policy config {where} must be of type {expected}, got {json.dumps(value)}")
    if "minimum" in schema and value < schema["minimum"] or "maximum" in schema and value > schema["maximum"]:
        bounds = f"{schema.get('minimum', '-inf')}..{schema.get('maximum', 'inf')}"
        raise ValueError(f"policy config {where} must be within {bounds}, got {value}")
    if schema.get("format") == "regex":
        problem = regex_problem(value)
        if problem:
            raise ValueError(f"policy config {where} is not a valid regular expression: {problem}")
    for index, item in enumerate(value if expected == "array" else []):
        _check_value(item, schema.get("items", {}), f"{where}[{index}]")
    for key, item in (value.items() if expected == "object" else []):
        _check_value(item, schema.get("additionalProperties", {}), f"{where}.{key}")


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` would be refused, or None.

    The Pulumi CLI validates `format: regex` with Go's regexp (RE2 syntax: no look-around,
    no back-references) before any rule runs; the rules then compile it with Python's `re`.
    A pattern must pass both.
    """
    try:
        re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
        return f"{reason} (the Pulumi engine checks patterns as RE2: no look-around or back-references)"
    try:
        re.compile(pattern)
    except re.error as error:
        return str(error)
    return None


def _suggestion(name: str) -> str:
    close = difflib.get_close_matches(name, list(RULES_BY_NAME), n=1)
    return f"; did you mean {close[0]!r}?" if close else "; see policies/README.md for the list"
