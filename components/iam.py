"""IAM documents and the guard rails every role the program creates shares, whichever tier
(or the bootstrap project) makes it."""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

import pulumi

ROLE_TYPE = "aws:iam/role:Role"
POLICY_VERSION = "2012-10-17"


def policy_document(*statements: dict[str, Any]) -> str:
    """An IAM policy document, statements kept as written (their order is the reading
    order of the policy)."""
    return json.dumps({"Version": POLICY_VERSION, "Statement": list(statements)})


def service_trust_policy(service: str) -> str:
    """A role that one AWS service assumes."""
    return policy_document({"Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"Service": service}})


def tls_only_bucket_policy(bucket_arn: str) -> str:
    """Every S3 bucket the node stack and the bootstrap create refuses plain HTTP."""
    return policy_document({"Sid": "DenyPlainHttp", "Effect": "Deny", "Principal": "*",
                            "Action": "s3:*", "Resource": [bucket_arn, f"{bucket_arn}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}}})


BOUNDARY_OUTPUT = "permissionsBoundaryArn"  # the bootstrap stack's output


def boundary_of(explicit_arn: str, bootstrap_stack: str) -> pulumi.Input[str] | None:
    """The boundary to set: the configured ARN, else the bootstrap stack's output (read
    with a StackReference, so nothing is copied by hand), else none."""
    if explicit_arn:
        return explicit_arn
    if not bootstrap_stack:
        return None
    return pulumi.StackReference(bootstrap_stack).require_output(BOUNDARY_OUTPUT)


def permissions_boundary(policy_arn: pulumi.Input[str]) -> Callable[
        [pulumi.ResourceTransformationArgs], Optional[pulumi.ResourceTransformationResult]]:
    """A stack transformation that sets `policy_arn` as the boundary of every IAM role.

    The bootstrap project's deployment role may only create roles that carry this
    boundary, so a deployment cannot mint a role more powerful than the boundary allows.
    Applied in the program (not by each tier), so a new tier's role cannot forget it.
    """
    def apply(args: pulumi.ResourceTransformationArgs
              ) -> Optional[pulumi.ResourceTransformationResult]:
        if args.type_ != ROLE_TYPE or args.props.get("permissions_boundary"):
            return None
        return pulumi.ResourceTransformationResult(
            {**args.props, "permissions_boundary": policy_arn}, args.opts)
    return apply
