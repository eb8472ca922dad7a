"""IAM guard rails that apply to every role the program creates, whichever tier makes it."""

from __future__ import annotations

from typing import Callable, Optional

import pulumi

ROLE_TYPE = "aws:iam/role:Role"


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
