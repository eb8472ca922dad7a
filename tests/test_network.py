"""Network tier properties per stack, read from the inputs the engine would receive."""

from __future__ import annotations

import ipaddress

import pytest

from components.network import (INTERFACE_ENDPOINT_SERVICES, NatGatewayStrategy,
                                nat_gateway_count, subnet_cidrs)
from tests.conftest import inputs_of

EXPECTED = {"dev": {"zones": 2, "nats": 1, "cidr": "10.20.0.0/16"},
            "prod": {"zones": 3, "nats": 3, "cidr": "10.30.0.0/16"}}


def subnets(run, tier):
    return [r for r in run.of_type("aws:ec2/subnet:Subnet")
            if inputs_of(r)["tags"]["chainlink:tier"] == tier]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_one_public_and_one_private_subnet_per_zone(stack_run, stack):
    run = stack_run(stack)
    zones = EXPECTED[stack]["zones"]
    for tier in ("public", "private"):
        found = subnets(run, tier)
        assert len(found) == zones
        assert len({inputs_of(s)["availabilityZone"] for s in found}) == zones


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_subnet_assigns_public_addresses(stack_run, stack):
    for subnet in stack_run(stack).of_type("aws:ec2/subnet:Subnet"):
        assert inputs_of(subnet)["mapPublicIpOnLaunch"] is False


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_subnets_lie_inside_the_vpc_and_do_not_overlap(stack_run, stack):
    run = stack_run(stack)
    vpc = ipaddress.IPv4Network(EXPECTED[stack]["cidr"])
    (vpc_resource,) = run.of_type("aws:ec2/vpc:Vpc")
    assert inputs_of(vpc_resource)["cidrBlock"] == str(vpc)
    blocks = [ipaddress.IPv4Network(inputs_of(s)["cidrBlock"])
              for s in run.of_type("aws:ec2/subnet:Subnet")]
    assert all(block.subnet_of(vpc) for block in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1:])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_nat_gateway_count_follows_the_strategy(stack_run, stack):
    run = stack_run(stack)
    assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == EXPECTED[stack]["nats"]
    assert len(run.of_type("aws:ec2/eip:Eip")) == EXPECTED[stack]["nats"]


def _private_routes(run):
    """private subnet name -> NAT gateway id its default route uses."""
    tables = {r.name: inputs_of(r) for r in run.of_type("aws:ec2/routeTable:RouteTable")}
    table_ids = {f"{name}-": name for name in tables}
    routes = {}
    for association in run.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation"):
        inputs = inputs_of(association)
        table_name = next(name for prefix, name in table_ids.items()
                          if inputs["routeTableId"].startswith(prefix))
        subnet_name = inputs["subnetId"].rsplit("-", 1)[0]
        if "-private-" in subnet_name:
            (route,) = tables[table_name]["routes"]
            assert route["cidrBlock"] == "0.0.0.0/0"
            routes[subnet_name] = route["natGatewayId"]
    return routes


def test_prod_private_subnets_route_through_the_nat_of_their_own_zone(stack_run):
    run = stack_run("prod")
    nat_subnet = {r.name: inputs_of(r)["subnetId"].rsplit("-", 1)[0]
                  for r in run.of_type("aws:ec2/natGateway:NatGateway")}
    subnet_zone = {r.name: inputs_of(r)["availabilityZone"]
                   for r in run.of_type("aws:ec2/subnet:Subnet")}
    routes = _private_routes(run)
    assert len(routes) == 3
    for private_subnet, nat_id in routes.items():
        nat_name = nat_id.rsplit("-", 1)[0]
        assert subnet_zone[nat_subnet[nat_name]] == subnet_zone[private_subnet]


def test_dev_private_subnets_share_the_single_nat(stack_run):
    routes = _private_routes(stack_run("dev"))
    assert len(routes) == 2 and len(set(routes.values())) == 1


def test_public_subnets_route_to_the_internet_gateway(stack_run):
    run = stack_run("prod")
    (public_table,) = [r for r in run.of_type("aws:ec2/routeTable:RouteTable")
                       if r.name.endswith("public-rt")]
    (route,) = inputs_of(public_table)["routes"]
    assert route["gatewayId"].startswith("chainlink-igw-")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_flow_logs_capture_everything_into_an_encrypted_log_group(stack_run, stack):
    run = stack_run(stack)
    (flow_log,) = run.of_type("aws:ec2/flowLog:FlowLog")
    assert inputs_of(flow_log)["trafficType"] == "ALL"
    (group,) = [g for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")
                if g.name.endswith("flow-logs")]
    group_inputs = inputs_of(group)
    assert group_inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert group_inputs["retentionInDays"] == {"dev": 7, "prod": 90}[stack]
    (key,) = [k for k in run.of_type("aws:kms/key:Key") if "telemetry" in k.name]
    assert inputs_of(key)["enableKeyRotation"] is True


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_interface_endpoints_keep_aws_api_calls_inside_the_vpc(stack_run, stack):
    run = stack_run(stack)
    endpoints = {inputs_of(e)["serviceName"].rsplit(".", 1)[1]: inputs_of(e)
                 for e in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert set(INTERFACE_ENDPOINT_SERVICES) | {"s3"} == set(endpoints)
    for service in INTERFACE_ENDPOINT_SERVICES:
        assert endpoints[service]["privateDnsEnabled"] is True
        assert len(endpoints[service]["subnetIds"]) == EXPECTED[stack]["zones"]
        assert all("-private-" in subnet for subnet in endpoints[service]["subnetIds"])


def test_endpoints_can_be_switched_off(stack_run):
    run = stack_run("dev", interfaceEndpoints="false")
    services = [inputs_of(e)["vpcEndpointType"]
                for e in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")]
    assert services == ["Gateway"]


def test_default_security_group_allows_nothing(stack_run):
    (group,) = stack_run("prod").of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    inputs = inputs_of(group)
    assert inputs.get("ingress", []) == [] and inputs.get("egress", []) == []


@pytest.mark.parametrize("cidr,zones", [("10.0.0.0/16", 3), ("192.168.10.0/24", 2)])
def test_subnet_layout_fits_any_allowed_vpc_size(cidr, zones):
    public, private = subnet_cidrs(cidr, zones)
    assert len(public) == len(private) == zones
    assert len(set(public + private)) == 2 * zones


def test_everything_internet_facing_waits_for_the_internet_gateway(stack_run):
    """EC2 refuses a public NAT gateway or load balancer in a VPC without its gateway;
    nothing else orders them, so the first create would race."""
    run = stack_run("prod", p2pEnabled="true")
    (gateway,) = run.of_type("aws:ec2/internetGateway:InternetGateway")
    internet_facing = [*run.of_type("aws:ec2/natGateway:NatGateway"),
                       *run.of_type("aws:ec2/eip:Eip"),
                       *[lb for lb in run.of_type("aws:lb/loadBalancer:LoadBalancer")
                         if inputs_of(lb).get("internal") is False]]
    assert len(internet_facing) == 3 + 6 + 2
    for resource in internet_facing:
        assert gateway.urn in resource.dependencies, resource.name



def _subnet_zones(run, tier: str) -> list[str]:
    subnets = sorted(run.of_type("aws:ec2/subnet:Subnet"), key=lambda s: s.name)
    return [inputs_of(s)["availabilityZone"] for s in subnets
            if inputs_of(s)["tags"]["chainlink:tier"] == tier]


def test_zones_without_the_instance_types_are_skipped(stack_run, monkeypatch):
    """Zones are judged by id, the physical zone, whose offerings getInstanceTypeOfferings
    reports; in the offline account use1-az2 is us-east-1b."""
    from ops.lib.offline import OfflineMocks

    monkeypatch.setattr(OfflineMocks, "zone_ids_offering", ("use1-az1", "use1-az4", "use1-az6"))
    run = stack_run("prod", availabilityZoneCount="3", bastionEnabled="false")
    assert _subnet_zones(run, "private") == ["us-east-1a", "us-east-1c", "us-east-1d"]
    assert _subnet_zones(run, "public") == ["us-east-1a", "us-east-1c", "us-east-1d"]


def test_too_few_zones_offering_the_instance_types_fail_with_one_clear_error(stack_run,
                                                                           monkeypatch):
    from ops.lib.offline import OfflineMocks

    monkeypatch.setattr(OfflineMocks, "zone_ids_offering", ("use1-az1",))
    with pytest.raises(Exception, match="only 1 available zones of this region offer .*"
                                        "lower availabilityZoneCount"):
        stack_run("prod", availabilityZoneCount="3", bastionEnabled="false")


@pytest.mark.parametrize("strategy, expected", [("single", 1), ("perAz", 3),
                                                (NatGatewayStrategy.PER_AZ, 3)])
def test_nat_gateway_strategies(strategy, expected):
    assert nat_gateway_count(strategy, 3) == expected


@pytest.mark.parametrize("typo", ["perAZ", "per-az", "", "none"])
def test_a_mistyped_nat_strategy_is_an_error_not_a_single_gateway(typo):
    with pytest.raises(ValueError, match="NatGatewayStrategy"):
        nat_gateway_count(typo, 3)

