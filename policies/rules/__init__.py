"""The rules of the pack: each module of a family folder defines one `RULE`.

A family folder is named after its category (`root_execution` is `root-execution`), and
a rule's category is its folder's (a rule may spell it, but then it must agree);
rules are found, not listed, so a new rule is one new file. Only relative imports
below this package: the Pulumi engine loads it as the top-level package `rules`
(from the pack's directory), `ops` as `policies.rules`.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from pathlib import Path

from .model import CATEGORIES, Resource, ResourceRule, Rule, StackRule

FAMILY_FOLDERS: dict[str, str] = {category.replace("-", "_"): category for category in CATEGORIES}


def _discover() -> tuple[Rule, ...]:
    rules = []
    for folder, category in FAMILY_FOLDERS.items():
        for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent / folder)]), key=lambda m: m.name):
            rule_module = importlib.import_module(f".{folder}.{module.name}", __name__)
            rule = rule_module.RULE
            if rule.category and rule.category != category:
                raise ValueError(f"rule {rule.name} in {folder}/ says category {rule.category!r}; move it or fix it")
            # The folder is the category: every importer of the module sees the filled-in rule.
            rule_module.RULE = rule = dataclasses.replace(rule, category=category)
            rules.append(rule)
    return tuple(rules)


ALL_RULES: tuple[Rule, ...] = _discover()
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "CATEGORIES", "FAMILY_FOLDERS", "RULES_BY_NAME", "Resource", "ResourceRule", "Rule", "StackRule"]
