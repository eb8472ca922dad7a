"""The operator load balancer and the optional P2P load balancer, per stack and per config."""

from __future__ import annotations

import pytest

from components.load_balancer import TLS_POLICY
from tests.conftest import inputs_of
from tests.test_node import host_settings, named, node_group, security_group_ids, user_data_text

STACKS = ["dev", "prod"]
REMOTE = {"dev": "198.51.100.0/24", "prod": "203.0.113.0/24"}
VPC = {"dev": "10.20.0.0/16", "prod": "10.30.0.0/16"}


def listeners(run) -> dict[str, dict]:
    return {resource.name: inputs_of(resource)
            for resource in run.of_type("aws:lb/listener:Listener")}


def alb(run) -> dict:
    return named(run, "aws:lb/loadBalancer:LoadBalancer", "chainlink-web-alb")


def alb_security_group(run) -> dict:
    return named(run, "aws:ec2/securityGroup:SecurityGroup", "chainlink-web-sg")


@pytest.mark.parametrize("stack", STACKS)
def test_with_a_certificate_it_is_https_on_tls_1_3_and_http_only_redirects(stack_run, stack):
    run = stack_run(stack)
    load_balancer = alb(run)
    assert load_balancer["loadBalancerType"] == "application"
    assert load_balancer["internal"] is False
    assert load_balancer["subnets"] == run.outputs["publicSubnetIds"]
    assert load_balancer["dropInvalidHeaderFields"] is True

    found = listeners(run)
    assert set(found) == {"chainlink-web-https", "chainlink-web-http-redirect"}
    https, http = found["chainlink-web-https"], found["chainlink-web-http-redirect"]
    assert (https["port"], https["protocol"], https["sslPolicy"]) == (443, "HTTPS", TLS_POLICY)
    assert TLS_POLICY.startswith("ELBSecurityPolicy-TLS13-")
    assert https["certificateArn"].startswith("arn:aws:acm:us-east-1:")
    (forward,) = https["defaultActions"]
    assert forward["type"] == "forward"
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    assert http["defaultActions"] == [{"type": "redirect", "redirect": {
        "protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]


@pytest.mark.parametrize("stack", STACKS)
def test_only_the_remote_access_cidr_may_connect(stack_run, stack):
    group = alb_security_group(stack_run(stack))
    assert sorted((rule["fromPort"], tuple(rule["cidrBlocks"])) for rule in group["ingress"]) \
        == [(80, (REMOTE[stack],)), (443, (REMOTE[stack],))]
    (egress,) = group["egress"]
    assert (egress["fromPort"], egress["toPort"], egress["cidrBlocks"]) == (
        6688, 6688, [VPC[stack]])


def test_deletion_protection_in_prod_only(stack_run):
    assert alb(stack_run("prod"))["enableDeletionProtection"] is True
    assert alb(stack_run("dev"))["enableDeletionProtection"] is False


@pytest.mark.parametrize("stack", STACKS)
def test_the_target_group_sends_traffic_only_to_the_ready_lease_holder(stack_run, stack):
    run = stack_run(stack)
    target_group = named(run, "aws:lb/targetGroup:TargetGroup", "chainlink-web-tg")
    assert (target_group["port"], target_group["protocol"]) == (6688, "HTTP")
    check = target_group["healthCheck"]
    assert (check["path"], check["matcher"], check["protocol"]) == ("/readyz", "200", "HTTP")
    assert (check["interval"], check["healthyThreshold"], check["unhealthyThreshold"]) == (
        10, 2, 2)
    (forward,) = listeners(run)["chainlink-web-https"]["defaultActions"]
    assert node_group(run)["targetGroupArns"] == [forward["targetGroupArn"]]


def test_without_a_certificate_it_is_internal_and_never_on_the_internet(stack_run):
    run = stack_run("dev", certificateArn=None)
    load_balancer = alb(run)
    assert load_balancer["internal"] is True
    assert load_balancer["subnets"] == run.outputs["privateSubnetIds"]
    (listener,) = listeners(run).values()
    assert (listener["port"], listener["protocol"]) == (80, "HTTP")
    assert "sslPolicy" not in listener
    (rule,) = alb_security_group(run)["ingress"]
    assert (rule["fromPort"], rule["cidrBlocks"]) == (80, [REMOTE["dev"]])
    assert run.outputs["nodeUrl"].startswith("http://internal-")
    # Plain HTTP inside the VPC: secure cookies would never be sent back.
    assert host_settings(run).secure_cookies is False


# --- P2P -----------------------------------------------------------------------------------

def test_p2p_is_off_unless_enabled(stack_run):
    for stack in STACKS:
        run = stack_run(stack)
        assert run.of_type("chainlink:index:PeerLoadBalancer") == []
        assert "--publish 6690" not in user_data_text(run)


@pytest.fixture(scope="module")
def p2p_run():
    from tests.conftest import cached_run, checked_in_stack_file, with_overrides

    return cached_run(with_overrides(checked_in_stack_file("prod"),
                                     {"p2pEnabled": "true", "p2pPort": "7001"}))


def test_p2p_gets_an_elastic_ip_per_public_subnet_behind_a_cross_zone_nlb(p2p_run):
    run = p2p_run
    nlb = named(run, "aws:lb/loadBalancer:LoadBalancer", "chainlink-p2p-nlb")
    assert (nlb["loadBalancerType"], nlb["internal"]) == ("network", False)
    assert nlb["enableCrossZoneLoadBalancing"] is True
    mappings = nlb["subnetMappings"]
    assert [m["subnetId"] for m in mappings] == run.outputs["publicSubnetIds"]
    addresses = [resource for resource in run.of_type("aws:ec2/eip:Eip")
                 if resource.name.startswith("chainlink-p2p-eip-")]
    assert len(addresses) == len(mappings) == 3
    assert all(resource.protect for resource in addresses)
    (listener,) = [inputs_of(r) for r in run.of_type("aws:lb/listener:Listener")
                   if r.name == "chainlink-p2p-listener"]
    assert (listener["port"], listener["protocol"]) == (7001, "TCP")
    target_group = named(run, "aws:lb/targetGroup:TargetGroup", "chainlink-p2p-tg")
    assert (target_group["port"], target_group["protocol"]) == (7001, "TCP")
    assert target_group["healthCheck"]["protocol"] == "TCP"
    assert target_group["preserveClientIp"] == "false"


def test_the_node_announces_the_elastic_ips_and_listens_on_the_p2p_port(p2p_run):
    run = p2p_run
    announced = run.outputs["p2pAnnounceAddresses"]
    assert len(announced) == 3 and all(address.endswith(":7001") for address in announced)
    settings = host_settings(run)
    assert (settings.p2p_port, settings.p2p_announce_addresses) == (7001, announced)
    assert "--publish 7001:7001" in user_data_text(run)
    assert len(node_group(run)["targetGroupArns"]) == 2


def test_only_the_p2p_load_balancer_reaches_the_hosts_p2p_port(p2p_run):
    run = p2p_run
    (p2p_group,) = named(run, "aws:lb/loadBalancer:LoadBalancer",
                         "chainlink-p2p-nlb")["securityGroups"]
    hosts = named(run, "aws:ec2/securityGroup:SecurityGroup", "chainlink-node-sg")
    rules = {rule["fromPort"]: rule for rule in hosts["ingress"]}
    assert set(rules) == {6688, 7001}
    assert rules[7001]["securityGroups"] == [p2p_group]
    assert rules[6688]["securityGroups"] == [security_group_ids(run)["load balancer"]]
    peers = named(run, "aws:ec2/securityGroup:SecurityGroup", "chainlink-p2p-sg")
    (rule,) = peers["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) == (7001, 7001, ["0.0.0.0/0"])
