"""Every IAM document of both stacks and of the bootstrap, linted by parliament."""

from __future__ import annotations

import json

import pytest

from tests.constraints.iam_documents import (DOCUMENT_INPUTS, Document, accepts, documents,
                                             is_accepted, lint, load_allowlist)
from tests.constraints.planned import PLAN_LABELS, plan


@pytest.mark.parametrize("label", PLAN_LABELS)
def test_every_iam_document_passes_parliament_or_its_finding_is_accepted(planned, label):
    allowlist = load_allowlist()
    found = [finding for document in documents(planned(label)) for finding in lint(document)]
    refused = [finding for finding in found if not is_accepted(finding, allowlist)]
    assert not refused, "\n".join(map(str, refused)) + \
        "\n(fix the document, or accept the finding with its reason in parliament_allowlist.json)"


@pytest.mark.parametrize("label", PLAN_LABELS)
def test_every_resource_that_carries_a_document_is_linted(planned, label):
    linted = {(d.resource_type, d.resource) for d in documents(planned(label))}
    for resource in planned(label).resources:
        if any(isinstance(resource.inputs.get(f), str) for f in DOCUMENT_INPUTS.get(resource.type, ())):
            assert (resource.type, resource.name) in linted
        if resource.type == "aws:iam/role:Role":
            assert (resource.type, resource.name) in linted  # its trust policy at least


def test_every_accepted_finding_still_occurs():
    """An entry no document needs any more must go: the list is the reasons, not a mute."""
    found = [finding for label in PLAN_LABELS for document in documents(plan(label))
             for finding in lint(document)]
    unused = [entry for entry in load_allowlist()
              if not any(accepts(entry, finding) for finding in found)]
    assert not unused, unused


def test_an_allowlist_entry_without_a_reason_is_refused(tmp_path):
    path = tmp_path / "allowlist.json"
    path.write_text(json.dumps([{"document": "x", "issue": "RESOURCE_STAR", "reason": " "}]))
    with pytest.raises(ValueError, match="needs document, issue and a reason"):
        load_allowlist(path)


def _document(statement: dict) -> Document:
    text = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return Document("test", "aws:iam/rolePolicy:RolePolicy", "chainlink-node-policy", "policy",
                    text)


@pytest.mark.parametrize("statement, issue", [
    ({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"},
     "UNKNOWN_ACTION"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"},
     "RESOURCE_MISMATCH"),
    ({"Effect": "Allow", "Action": ["sns:Unsubscribe", "sns:Publish"],
      "Resource": "arn:aws:sns:us-east-1:123456789012:t"}, "RESOURCE_MISMATCH"),
    ({"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"}, "MALFORMED"),
    ({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}, "RESOURCE_STAR"),
    ({"Effect": "Allow", "Action": "iam:CreateAccessKey",
      "Resource": "arn:aws:iam::123456789012:user/x"}, "CREDENTIALS_EXPOSURE"),
])
def test_a_broken_document_is_refused_unless_accepted(statement, issue):
    findings = lint(_document(statement))
    assert issue in {finding.issue for finding in findings}
    assert not all(is_accepted(finding, load_allowlist()) for finding in findings)
