"""P2P tier (optional): a stable, public address for the node's OCR peer-to-peer port.

The node hosts sit in private subnets and either of them may hold the lease, so peers
cannot dial a host. A network load balancer with an Elastic IP in each public subnet
gives addresses that survive failover, host replacement and even the load balancer's
replacement; its health check finds the lease holder (a waiting standby has not
opened its P2P listener). The node announces these addresses in `[P2P.V2]`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.kit import TierComponent
from components.load_balancer import (DEREGISTRATION_DELAY_SECONDS, HEALTH_CHECK_INTERVAL_SECONDS,
                                      HEALTHY_THRESHOLD, UNHEALTHY_THRESHOLD)
from components.interfaces import PeerTarget, VpcPlacement


@dataclass
class PeerLoadBalancerArgs:
    placement: VpcPlacement
    port: int
    deletion_protection: bool = False
    # Keep the Elastic IPs (peers know the node by them) even if the stack is torn down.
    protect: bool = False


class PeerLoadBalancer(TierComponent):
    """Internet-facing TCP on `port` through fixed Elastic IPs to the lease holder."""

    TYPE = "chainlink:index:PeerLoadBalancer"

    announce_addresses: pulumi.Output[list[str]]
    dns_name: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    port: int

    def _build(self, name: str, args: PeerLoadBalancerArgs) -> None:
        placement, port = args.placement, args.port
        internet_access = list(placement.internet_access)

        addresses = [aws.ec2.Eip(f"{name}-eip-{index + 1}", domain="vpc",
                                 tags={"Name": f"{name}-{index + 1}"},
                                 opts=self._child(stateful=True,
                                                  depends_on=internet_access))
                     for index in range(len(placement.public_subnet_ids))]
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=placement.vpc_id,
            description="OCR peers anywhere reach the node P2P port",
            # Peers run on the internet and authenticate each other by key.
            ingress=[{"protocol": "tcp", "from_port": port, "to_port": port,
                      "cidr_blocks": ["0.0.0.0/0"], "description": "OCR peers"}],
            egress=[{"protocol": "tcp", "from_port": port, "to_port": port,
                     "cidr_blocks": [placement.vpc_cidr], "description": "the node hosts"}],
            tags={"Name": name}, opts=self._child())
        load_balancer = aws.lb.LoadBalancer(
            f"{name}-nlb", load_balancer_type="network", internal=False,
            subnet_mappings=[{"subnet_id": subnet, "allocation_id": address.id}
                             for subnet, address in zip(placement.public_subnet_ids, addresses)],
            security_groups=[security_group.id],
            # Any address must reach the lease holder, whichever AZ it is in.
            enable_cross_zone_load_balancing=True,
            enable_deletion_protection=args.deletion_protection,
            tags={"Name": f"{name}-nlb"},
            opts=self._child(depends_on=internet_access))
        target_group = aws.lb.TargetGroup(
            f"{name}-tg", port=port, protocol="TCP", target_type="instance",
            vpc_id=placement.vpc_id,
            # The hosts then see the load balancer's address, which their security
            # group can name, instead of every peer's.
            preserve_client_ip="false",
            deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
            health_check={"enabled": True, "protocol": "TCP", "port": "traffic-port",
                          "interval": HEALTH_CHECK_INTERVAL_SECONDS,
                          "healthy_threshold": HEALTHY_THRESHOLD,
                          "unhealthy_threshold": UNHEALTHY_THRESHOLD},
            tags={"Name": f"{name}-node"}, opts=self._child())
        aws.lb.Listener(f"{name}-listener", load_balancer_arn=load_balancer.arn, port=port,
                        protocol="TCP",
                        default_actions=[{"type": "forward",
                                          "target_group_arn": target_group.arn}],
                        opts=self._child())

        self.port = port
        self.announce_addresses = pulumi.Output.all(
            *[address.public_ip for address in addresses]).apply(
                lambda ips: [f"{ip}:{port}" for ip in ips])
        self.dns_name = load_balancer.dns_name
        self.arn_suffix = load_balancer.arn_suffix
        self.target_group_arn = target_group.arn
        self.target_group_arn_suffix = target_group.arn_suffix
        self.security_group_id = security_group.id

    @property
    def target(self) -> PeerTarget:
        """What the node tier needs to join this load balancer and announce its addresses."""
        return PeerTarget(target_group_arn=self.target_group_arn,
                          security_group_id=self.security_group_id, port=self.port,
                          announce_addresses=self.announce_addresses)
