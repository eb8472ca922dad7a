"""Load balancer tier: the one entry point to the node's operator UI and API."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.kit import TierComponent
from components.interfaces import LoadBalancerTarget, VpcPlacement

NODE_HTTP_PORT = 6688
# TLS 1.3 and 1.2 with forward-secret ciphers only, and post-quantum key exchange: the
# policy the ELB console now picks by default (the Quick Start used 2016-08).
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
# Only the lease holder answers /readyz with 200; a waiting standby has no listener.
READINESS_PATH = "/readyz"
HEALTH_CHECK_INTERVAL_SECONDS = 10
HEALTHY_THRESHOLD = 2
UNHEALTHY_THRESHOLD = 2
DEREGISTRATION_DELAY_SECONDS = 30


@dataclass
class NodeLoadBalancerArgs:
    placement: VpcPlacement
    remote_access_cidr: str
    # An ACM certificate makes the load balancer internet-facing with HTTPS; without
    # one it is internal (reach it through a VPN or SSM port forwarding).
    certificate_arn: str = ""
    deletion_protection: bool = False


class NodeLoadBalancer(TierComponent):
    """An Application Load Balancer in front of whichever node holds the database lease.

    With a certificate: internet-facing, HTTPS on a TLS 1.3 policy, HTTP redirected to
    HTTPS. Without: internal only, plain HTTP inside the VPC, never on the internet.
    Either way only `remote_access_cidr` may connect, and invalid headers are dropped.
    """

    TYPE = "chainlink:index:NodeLoadBalancer"

    https: bool
    url: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def _build(self, name: str, args: NodeLoadBalancerArgs) -> None:
        self.https = bool(args.certificate_arn)
        placement = args.placement

        security_group = self._security_group(args)
        load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=not self.https,
            subnets=(placement.public_subnet_ids if self.https
                     else placement.private_subnet_ids),
            security_groups=[security_group.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.deletion_protection,
            tags={"Name": f"{name}-alb"},
            opts=self._child(depends_on=list(placement.internet_access) if self.https else None))
        target_group = self._target_group(placement)
        if self.https:
            self._https_listeners(load_balancer, target_group, args.certificate_arn)
        else:
            self._listener("http", load_balancer, 80, "HTTP",
                           [{"type": "forward", "target_group_arn": target_group.arn}])

        self.security_group_id = security_group.id
        self.dns_name = load_balancer.dns_name
        self.arn_suffix = load_balancer.arn_suffix
        self.url = pulumi.Output.concat("https://" if self.https else "http://",
                                        load_balancer.dns_name)
        self.target_group_arn = target_group.arn
        self.target_group_arn_suffix = target_group.arn_suffix

    @property
    def target(self) -> LoadBalancerTarget:
        """What the node tier needs to join this load balancer."""
        return LoadBalancerTarget(target_group_arn=self.target_group_arn,
                                  security_group_id=self.security_group_id, https=self.https)

    def _security_group(self, args: NodeLoadBalancerArgs) -> aws.ec2.SecurityGroup:
        ports = (443, 80) if self.https else (80,)
        return aws.ec2.SecurityGroup(
            f"{self._name}-sg", vpc_id=args.placement.vpc_id,
            description="Operator UI and API from remoteAccessCidr only",
            ingress=[{"protocol": "tcp", "from_port": port, "to_port": port,
                      "cidr_blocks": [args.remote_access_cidr],
                      "description": "operators (remoteAccessCidr)"} for port in ports],
            # The node group's own security group lets this one in; the VPC range here
            # avoids a cycle between the two groups.
            egress=[{"protocol": "tcp", "from_port": NODE_HTTP_PORT,
                     "to_port": NODE_HTTP_PORT, "cidr_blocks": [args.placement.vpc_cidr],
                     "description": "the node hosts web server"}],
            tags={"Name": f"{self._name}-alb"}, opts=self._child())

    def _target_group(self, placement: VpcPlacement) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(
            f"{self._name}-tg",
            port=NODE_HTTP_PORT, protocol="HTTP", target_type="instance",
            vpc_id=placement.vpc_id,
            deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
            health_check={"enabled": True, "protocol": "HTTP", "port": "traffic-port",
                           "path": READINESS_PATH, "matcher": "200",
                           "interval": HEALTH_CHECK_INTERVAL_SECONDS, "timeout": 5,
                           "healthy_threshold": HEALTHY_THRESHOLD,
                           "unhealthy_threshold": UNHEALTHY_THRESHOLD},
            tags={"Name": f"{self._name}-node"}, opts=self._child())

    def _https_listeners(self, load_balancer: aws.lb.LoadBalancer,
                         target_group: aws.lb.TargetGroup, certificate_arn: str) -> None:
        self._listener("https", load_balancer, 443, "HTTPS",
                       [{"type": "forward", "target_group_arn": target_group.arn}],
                       ssl_policy=TLS_POLICY, certificate_arn=certificate_arn)
        self._listener("http-redirect", load_balancer, 80, "HTTP",
                       [{"type": "redirect", "redirect": {
                           "protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}])

    def _listener(self, purpose: str, load_balancer: aws.lb.LoadBalancer, port: int,
                  protocol: str, actions: list[dict], **tls: str) -> aws.lb.Listener:
        return aws.lb.Listener(
            f"{self._name}-{purpose}", load_balancer_arn=load_balancer.arn, port=port,
            protocol=protocol, default_actions=actions, opts=self._child(), **tls)
