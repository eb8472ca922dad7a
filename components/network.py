"""Network tier: VPC, a public and a private subnet per AZ, NAT, routes, flow logs, endpoints."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import Enum

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.iam import policy_document
from components.interfaces import VpcPlacement
from components.kit import TierComponent

# The AWS APIs the node hosts call: SSM (Session Manager and parameters), Secrets
# Manager, CloudWatch Logs and metrics, KMS, and Auto Scaling (the host reports its own
# health). With these endpoints those calls never leave the VPC.
INTERFACE_ENDPOINT_SERVICES = ("ssm", "ssmmessages", "ec2messages", "secretsmanager",
                               "logs", "monitoring", "kms", "autoscaling")
# The VPC is cut into 8 equal blocks: public subnets take blocks 0-2, private 4-6.
SUBNET_BLOCKS = 8
PRIVATE_BLOCK_OFFSET = 4


class NatGatewayStrategy(str, Enum):
    """One NAT gateway for the VPC (cheap, one AZ's outage cuts egress) or one per AZ."""
    SINGLE = "single"
    PER_AZ = "perAz"


@dataclass
class NetworkArgs:
    context: AwsContext
    cidr_block: str
    availability_zone_count: int
    nat_gateway_strategy: NatGatewayStrategy | str   # a typo is an error, never "single"
    interface_endpoints: bool
    flow_log_retention_days: int
    flow_log_kms_key_arn: pulumi.Input[str]
    # EC2 instance types the stack runs in these zones: only zones that offer all of them
    # are used (some zones of a region lack whole instance families).
    instance_types: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.nat_gateway_strategy = NatGatewayStrategy(self.nat_gateway_strategy)


def subnet_cidrs(vpc_cidr: str, zone_count: int) -> tuple[list[str], list[str]]:
    """Public and private subnet CIDRs, one of each per AZ, for up to 3 AZs."""
    network = ipaddress.IPv4Network(vpc_cidr)
    blocks = list(network.subnets(new_prefix=network.prefixlen + 3))
    assert len(blocks) == SUBNET_BLOCKS and zone_count <= PRIVATE_BLOCK_OFFSET
    public = [str(blocks[index]) for index in range(zone_count)]
    private = [str(blocks[PRIVATE_BLOCK_OFFSET + index]) for index in range(zone_count)]
    return public, private


def nat_gateway_count(strategy: NatGatewayStrategy | str, zone_count: int) -> int:
    return zone_count if NatGatewayStrategy(strategy) is NatGatewayStrategy.PER_AZ else 1


class Network(TierComponent):
    """A VPC over N Availability Zones, laid out for a private workload behind a load balancer.

    Private subnets never assign public addresses and reach the internet through NAT (one
    per AZ, or a single one to save cost in dev). Flow logs go to an encrypted log group.
    """

    TYPE = "chainlink:index:Network"

    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    availability_zones: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    nat_gateway_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    flow_log_group_name: pulumi.Output[str]
    # What anything internet-facing must wait for: EC2 refuses a public NAT gateway or
    # load balancer, and an Elastic IP can fail to associate, until the VPC has its gateway.
    internet_access: list[pulumi.Resource]

    def _build(self, name: str, args: NetworkArgs) -> None:
        zone_count = args.availability_zone_count
        zones = self._zones_offering(args.instance_types, zone_count)
        self.availability_zones = [zones.apply(lambda names, i=i: names[i])
                                   for i in range(zone_count)]
        self.vpc_cidr = args.cidr_block

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc", cidr_block=args.cidr_block,
            enable_dns_hostnames=True, enable_dns_support=True,
            tags={"Name": f"{name}-vpc"}, opts=self._child())
        self.vpc_id = self.vpc.id
        # Nothing may use the default security group: strip its allow-all rules.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[],
            tags={"Name": f"{name}-default-unused"}, opts=self._child())

        public_cidrs, private_cidrs = subnet_cidrs(args.cidr_block, zone_count)
        public_subnets = [self._subnet("public", i, cidr) for i, cidr in enumerate(public_cidrs)]
        private_subnets = [self._subnet("private", i, cidr)
                           for i, cidr in enumerate(private_cidrs)]
        self.public_subnet_ids = [subnet.id for subnet in public_subnets]
        self.private_subnet_ids = [subnet.id for subnet in private_subnets]

        self.internet_access = self._route_public_subnets(public_subnets)
        nat_gateways = [self._nat_gateway(i, public_subnets[i])
                        for i in range(nat_gateway_count(args.nat_gateway_strategy, zone_count))]
        self.nat_gateway_ids = [gateway.id for gateway in nat_gateways]
        private_tables = [self._route_private_subnet(i, subnet, nat_gateways[i % len(nat_gateways)])
                          for i, subnet in enumerate(private_subnets)]
        self.private_route_table_ids = [table.id for table in private_tables]

        self.flow_log_group_name = self._flow_logs(args)
        self._gateway_endpoint("s3", args.context)
        if args.interface_endpoints:
            self._interface_endpoints(args.context)

    @property
    def placement(self) -> VpcPlacement:
        """Where the tiers that live in this VPC go (the load balancers, for example)."""
        return VpcPlacement(vpc_id=self.vpc_id, vpc_cidr=self.vpc_cidr,
                            public_subnet_ids=self.public_subnet_ids,
                            private_subnet_ids=self.private_subnet_ids,
                            internet_access=self.internet_access)

    def _zones_offering(self, instance_types: list[str], count: int) -> pulumi.Output[list[str]]:
        """The first `count` zone names whose zone ids offer every instance type.

        Chosen by zone id: a zone name maps to a different physical zone in each account,
        the offering is a property of the physical zone."""
        invoke = pulumi.InvokeOptions(parent=self)
        zones = aws.get_availability_zones_output(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=invoke)
        offerings = [aws.ec2.get_instance_type_offerings_output(
            location_type="availability-zone-id",
            filters=[{"name": "instance-type", "values": [instance_type]}], opts=invoke
        ).locations for instance_type in dict.fromkeys(instance_types)]
        return pulumi.Output.all(zones.names, zones.zone_ids, *offerings).apply(
            lambda values: _pick_zones(values[0], values[1], values[2:], instance_types, count))

    def _subnet(self, tier: str, index: int, cidr: str) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            f"{self._name}-{tier}-{index + 1}",
            vpc_id=self.vpc.id, cidr_block=cidr,
            availability_zone=self.availability_zones[index],
            # Public addresses are given explicitly where needed (bastion), never by default.
            map_public_ip_on_launch=False,
            tags={"Name": f"{self._name}-{tier}-{index + 1}", "chainlink:tier": tier},
            opts=self._child())

    def _route_public_subnets(self, subnets: list[aws.ec2.Subnet]) -> list[pulumi.Resource]:
        gateway = aws.ec2.InternetGateway(
            f"{self._name}-igw", vpc_id=self.vpc.id,
            tags={"Name": f"{self._name}-igw"}, opts=self._child())
        table = aws.ec2.RouteTable(
            f"{self._name}-public-rt", vpc_id=self.vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
            tags={"Name": f"{self._name}-public"}, opts=self._child())
        for index, subnet in enumerate(subnets):
            aws.ec2.RouteTableAssociation(
                f"{self._name}-public-rta-{index + 1}", subnet_id=subnet.id,
                route_table_id=table.id, opts=self._child())
        return [gateway, table]

    def _nat_gateway(self, index: int, public_subnet: aws.ec2.Subnet) -> aws.ec2.NatGateway:
        address = aws.ec2.Eip(
            f"{self._name}-nat-eip-{index + 1}", domain="vpc",
            tags={"Name": f"{self._name}-nat-{index + 1}"},
            opts=self._child(depends_on=self.internet_access))
        return aws.ec2.NatGateway(
            f"{self._name}-nat-{index + 1}", allocation_id=address.id,
            subnet_id=public_subnet.id, tags={"Name": f"{self._name}-nat-{index + 1}"},
            opts=self._child(depends_on=self.internet_access))

    def _route_private_subnet(self, index: int, subnet: aws.ec2.Subnet,
                              nat_gateway: aws.ec2.NatGateway) -> aws.ec2.RouteTable:
        table = aws.ec2.RouteTable(
            f"{self._name}-private-rt-{index + 1}", vpc_id=self.vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat_gateway.id}],
            tags={"Name": f"{self._name}-private-{index + 1}"}, opts=self._child())
        aws.ec2.RouteTableAssociation(
            f"{self._name}-private-rta-{index + 1}", subnet_id=subnet.id,
            route_table_id=table.id, opts=self._child())
        return table

    def _flow_logs(self, args: NetworkArgs) -> pulumi.Output[str]:
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-flow-logs", retention_in_days=args.flow_log_retention_days,
            kms_key_id=args.flow_log_kms_key_arn, opts=self._child())
        role = aws.iam.Role(
            f"{self._name}-flow-logs-role",
            assume_role_policy=args.context.account_id.apply(_flow_logs_trust_policy),
            opts=self._child())
        aws.iam.RolePolicy(
            f"{self._name}-flow-logs-write", role=role.id,
            policy=log_group.arn.apply(_flow_logs_write_policy), opts=self._child())
        aws.ec2.FlowLog(
            f"{self._name}-flow-log", vpc_id=self.vpc.id, traffic_type="ALL",
            log_destination_type="cloud-watch-logs", log_destination=log_group.arn,
            iam_role_arn=role.arn, max_aggregation_interval=60, opts=self._child())
        return log_group.name

    def _gateway_endpoint(self, service: str, context: AwsContext) -> None:
        # Free, and keeps package downloads (Amazon Linux repositories live in S3) off NAT.
        aws.ec2.VpcEndpoint(
            f"{self._name}-{service}-endpoint", vpc_id=self.vpc.id,
            service_name=pulumi.Output.concat("com.amazonaws.", context.region, ".", service),
            vpc_endpoint_type="Gateway", route_table_ids=self.private_route_table_ids,
            tags={"Name": f"{self._name}-{service}"}, opts=self._child())

    def _interface_endpoints(self, context: AwsContext) -> None:
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{self._name}-endpoints-sg", vpc_id=self.vpc.id,
            description="HTTPS from inside the VPC to the AWS API endpoints",
            ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443,
                      "cidr_blocks": [self.vpc_cidr], "description": "AWS APIs from the VPC"}],
            tags={"Name": f"{self._name}-endpoints"}, opts=self._child())
        for service in INTERFACE_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{self._name}-{service}-endpoint", vpc_id=self.vpc.id,
                service_name=pulumi.Output.concat("com.amazonaws.", context.region, ".", service),
                vpc_endpoint_type="Interface", private_dns_enabled=True,
                subnet_ids=self.private_subnet_ids, security_group_ids=[endpoint_sg.id],
                tags={"Name": f"{self._name}-{service}"}, opts=self._child())


def _pick_zones(names: list[str], zone_ids: list[str], offered: list[list[str]],
                instance_types: list[str], count: int) -> list[str]:
    usable = [name for name, zone_id in zip(names, zone_ids)
              if all(zone_id in locations for locations in offered)]
    if len(usable) < count:
        raise pulumi.RunError(
            f"only {len(usable)} available zones of this region offer "
            f"{', '.join(dict.fromkeys(instance_types))}, {count} are needed: lower "
            "availabilityZoneCount or choose instance types every zone offers")
    return usable[:count]


def _flow_logs_trust_policy(account_id: str) -> str:
    return policy_document({
        "Effect": "Allow",
        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    })


def _flow_logs_write_policy(log_group_arn: str) -> str:
    return policy_document({
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        "Resource": [log_group_arn, f"{log_group_arn}:*"],
    })
