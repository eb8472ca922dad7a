"""What one tier hands another: small values of ids, ARNs and ports, never a whole tier.

A tier's Args ask for these rather than for the sibling tier that made them, so a tier
can be placed in infrastructure this project did not create: another project builds
`VpcPlacement(vpc_id="vpc-0abc", ...)` from its own VPC's ids. Each providing tier has
a property that returns its value (`Network.placement`, `Secrets.node_access`,
`Database.connection`, `NodeLogs.host_log_groups`, `NodeLoadBalancer.target`,
`PeerLoadBalancer.target`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class VpcPlacement:
    """A VPC, its address range, one public and one private subnet per zone, and what
    an internet-facing resource has to wait for (the VPC's internet gateway routes)."""
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    public_subnet_ids: Sequence[pulumi.Input[str]]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    # Empty for a VPC whose internet gateway exists already (another project's).
    internet_access: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class NodeSecretAccess:
    """The node's secrets, the key that encrypts them and its volumes, and the Auto
    Scaling service-linked role that key's policy lets launch encrypted volumes."""
    key_arn: pulumi.Input[str]
    autoscaling_service_role_arn: pulumi.Input[str]
    api_credentials_secret_arn: pulumi.Input[str]
    keystore_password_secret_arn: pulumi.Input[str]
    rpc_secret_arn: pulumi.Input[str]

    @property
    def secret_arns(self) -> list[pulumi.Input[str]]:
        return [self.api_credentials_secret_arn, self.keystore_password_secret_arn,
                self.rpc_secret_arn]


@dataclass(frozen=True)
class DatabaseConnection:
    """Where the node's database answers, the secret holding its credentials, and the
    security group a client is let into."""
    endpoint: pulumi.Input[str]
    port: int
    database_name: str
    credentials_secret_arn: pulumi.Input[str]
    security_group_id: pulumi.Input[str]


@dataclass(frozen=True)
class HostLogGroups:
    """The log groups the node hosts write: the node's output and the boot's."""
    node_log_group_name: pulumi.Input[str]
    node_log_group_arn: pulumi.Input[str]
    bootstrap_log_group_arn: pulumi.Input[str]


@dataclass(frozen=True)
class LoadBalancerTarget:
    """A load balancer the node hosts join: its target group and its security group
    (the one the hosts let in); `https` when it terminates TLS for browsers."""
    target_group_arn: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    https: bool = False


@dataclass(frozen=True)
class PeerTarget:
    """The P2P load balancer the hosts join: its target group, its security group, the
    port it forwards and the addresses peers dial (announced by the node)."""
    target_group_arn: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    port: int
    announce_addresses: pulumi.Input[Sequence[str]]
