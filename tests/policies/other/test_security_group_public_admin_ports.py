import pytest

from policy_harness import UNKNOWN, messages, resource

PORTS_RULE = "aws-ec2-security-group-disallow-public-admin-ports"


SG = "aws:ec2/securityGroup:SecurityGroup"


@pytest.mark.parametrize("candidate, expected", [
    (resource(SG, {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]}),
     ["ingress rule #1 opens port(s) 22 to the internet"]),
    (resource(SG, {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}]}),
     ["ingress rule #1 opens port(s) 22, 3389 to the internet"]),
    (resource("aws:ec2/securityGroupRule:SecurityGroupRule",
              {"type": "ingress", "protocol": "tcp", "fromPort": 0, "toPort": 65535, "cidrBlocks": ["0.0.0.0/0"]}),
     ["ingress rule opens port(s) 22, 3389 to the internet"]),
    (resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
              {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"}),
     ["ingress rule opens port(s) 22 to the internet"]),
    (resource(SG, {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["203.0.113.0/24"]}]}), []),
    (resource(SG, {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]}), []),
    (resource(SG, {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": UNKNOWN}]}), []),
    (resource("aws:ec2/securityGroupRule:SecurityGroupRule",
              {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}), []),
])
def test_admin_ports_open_to_the_world(candidate, expected):
    assert messages([candidate], PORTS_RULE) == expected
