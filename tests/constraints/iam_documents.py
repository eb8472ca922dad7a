"""Every IAM document the planned resources carry, and parliament's findings on each."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import parliament

from tests.constraints.planned import Plan

# Pulumi type -> the inputs that hold a policy document (as a JSON string).
DOCUMENT_INPUTS: dict[str, tuple[str, ...]] = {
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:kms/key:Key": ("policy",),
    "aws:kms/keyPolicy:KeyPolicy": ("policy",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:sns/topicPolicy:TopicPolicy": ("policy",),
    "aws:sns/topic:Topic": ("policy",),
    "aws:secretsmanager/secretPolicy:SecretPolicy": ("policy",),
    "aws:secretsmanager/secret:Secret": ("policy",),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": ("policyDocument",),
}
ALLOWLIST = Path(__file__).with_name("parliament_allowlist.json")


@dataclass(frozen=True)
class Document:
    plan: str
    resource_type: str
    resource: str
    field: str
    text: str

    @property
    def key(self) -> str:
        """What the allowlist names: stable across accounts and stacks."""
        return f"{self.resource_type} {self.resource} {self.field}"


@dataclass(frozen=True)
class LintFinding:
    document: Document
    issue: str
    detail: str
    location: str

    def __str__(self) -> str:
        return (f"{self.document.plan}: {self.document.key}: {self.issue} "
                f"{self.detail} at {self.location}")


def documents(plan: Plan) -> Iterator[Document]:
    for resource in plan.resources:
        for field in DOCUMENT_INPUTS.get(resource.type, ()):
            text = resource.inputs.get(field)
            if isinstance(text, str) and text:
                yield Document(plan.label, resource.type, resource.name, field, text)
        for index, inline in enumerate(resource.inputs.get("inlinePolicies") or []):
            if resource.type == "aws:iam/role:Role" and inline.get("policy"):
                yield Document(plan.label, resource.type, resource.name,
                               f"inlinePolicies[{index}]", inline["policy"])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)


@lru_cache(maxsize=None)
def _findings(text: str) -> tuple[tuple[str, str, str], ...]:
    """parliament with its community auditors (privilege escalation, credentials exposure,
    permissions management) besides its own checks."""
    policy = parliament.analyze_policy_string(text, include_community_auditors=True)
    return tuple((finding.issue, _text(finding.detail), _text(finding.location))
                 for finding in policy.findings)


def lint(document: Document) -> list[LintFinding]:
    return [LintFinding(document, *finding) for finding in _findings(document.text)]


def load_allowlist(path: Path = ALLOWLIST) -> list[dict[str, str]]:
    """[{"document": key, "issue": ..., "detail"/"location": substrings, "reason": ...}]"""
    entries = json.loads(path.read_text())
    for entry in entries:
        missing = {"document", "issue", "reason"} - set(entry)
        if missing or not entry["reason"].strip():
            raise ValueError(f"{path.name}: every entry needs document, issue and a reason: "
                             f"{entry}")
    return entries


def accepts(entry: dict[str, str], finding: LintFinding) -> bool:
    """`document` may hold shell wildcards: one reason can cover every trust policy."""
    return (fnmatchcase(finding.document.key, entry["document"])
            and entry["issue"] == finding.issue and entry.get("detail", "") in finding.detail
            and entry.get("location", "") in finding.location)


def is_accepted(finding: LintFinding, allowlist: list[dict[str, str]]) -> bool:
    return any(accepts(entry, finding) for entry in allowlist)
