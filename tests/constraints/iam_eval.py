"""A small IAM policy evaluator: enough of AWS's evaluation logic to judge one call.

An explicit Deny wins, then any Allow, else the call is implicitly denied. Statements
match on Action/NotAction, Resource/NotResource (IAM wildcards `*` and `?`, actions
case-insensitive) and the condition operators the bootstrap's policies use: String*
and Arn* (with Like and Not variants), Bool; a key missing from the request context
fails a positive operator and satisfies a negated one, as in AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

ALLOW, DENY, IMPLICIT_DENY = "allow", "deny", "implicit-deny"


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, case_sensitive: bool) -> re.Pattern:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def matches(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    return _wildcard(pattern, case_sensitive).fullmatch(value) is not None


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


_OPERATORS = frozenset({"StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals",
                        "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
                        "StringNotLike", "ArnLike", "ArnNotLike", "Bool"})


def _operator_matches(operator: str, expected: list[str], actual: list[str] | None) -> bool:
    base = operator.removesuffix("IfExists")
    if base not in _OPERATORS:
        raise ValueError(f"condition operator {operator} is not supported by this evaluator")
    if_exists = operator.endswith("IfExists")
    negated = "Not" in base
    if actual is None:
        return negated or if_exists
    if base in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        hit = any(a == e for a in actual for e in expected)
    elif base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        hit = any(a.lower() == e.lower() for a in actual for e in expected)
    elif base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        hit = any(matches(e, a) for a in actual for e in expected)
    else:  # Bool
        hit = any(a.lower() == e.lower() for a in actual for e in expected)
    return not hit if negated else hit


def _conditions_hold(condition: dict[str, Any], context: dict[str, Any]) -> bool:
    lowered = {key.lower(): value for key, value in context.items()}
    for operator, tests in condition.items():
        for key, expected in tests.items():
            actual = lowered.get(key.lower())
            actual_list = None if actual is None else [str(v) for v in _as_list(actual)]
            expected_list = [str(v).lower() if isinstance(v, bool) else str(v)
                             for v in _as_list(expected)]
            if not _operator_matches(operator, expected_list, actual_list):
                return False
    return True


def statement_applies(statement: dict[str, Any], action: str, resource: str,
                      context: dict[str, Any]) -> bool:
    if "Action" in statement:
        if not any(matches(p, action, False) for p in _as_list(statement["Action"])):
            return False
    elif any(matches(p, action, False) for p in _as_list(statement.get("NotAction", []))):
        return False
    if "Resource" in statement:
        if not any(matches(p, resource) for p in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(matches(p, resource) for p in _as_list(statement["NotResource"])):
            return False
    return _conditions_hold(statement.get("Condition", {}), context)


@dataclass(frozen=True)
class Decision:
    verdict: str
    statement: str = ""   # the Sid (or index) that decided

    @property
    def allowed(self) -> bool:
        return self.verdict == ALLOW


def evaluate(documents: list[dict[str, Any]], action: str, resource: str,
             context: dict[str, Any] | None = None) -> Decision:
    """The verdict of identity policies on one request."""
    context = context or {}
    allowed_by = None
    for document in documents:
        for index, statement in enumerate(_as_list(document.get("Statement", []))):
            if not statement_applies(statement, action, resource, context):
                continue
            sid = statement.get("Sid", f"#{index}")
            if statement.get("Effect") == "Deny":
                return Decision(DENY, sid)
            if statement.get("Effect") == "Allow" and allowed_by is None:
                allowed_by = sid
    return Decision(ALLOW, allowed_by) if allowed_by else Decision(IMPLICIT_DENY)


def evaluate_with_boundary(policies: list[dict[str, Any]], boundary: dict[str, Any] | None,
                           action: str, resource: str,
                           context: dict[str, Any] | None = None) -> Decision:
    """A role's effective verdict: its policies and, when it has one, its boundary."""
    decision = evaluate(policies, action, resource, context)
    if boundary is None or not decision.allowed:
        return decision
    limit = evaluate([boundary], action, resource, context)
    return decision if limit.allowed else Decision(limit.verdict, f"boundary {limit.statement}")
