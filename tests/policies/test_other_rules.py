import pytest

from policy_harness import DEV_CONFIG, PROD_CONFIG, UNKNOWN, messages, resource, violations

IMDS_RULE = "aws-ec2-instance-configure-imdsv2"
PORTS_RULE = "aws-ec2-security-group-disallow-public-admin-ports"
TLS_RULE = "aws-lb-listener-configure-current-tls-policy"
PUBLIC_DB_RULE = "aws-rds-database-disallow-public-access"


@pytest.mark.parametrize("options, violated", [
    ({"httpTokens": "required", "httpEndpoint": "enabled"}, False),
    ({"httpEndpoint": "disabled"}, False),
    ({"httpTokens": UNKNOWN}, False),
    ({"httpTokens": "optional"}, True),
    (None, True),
])
def test_imdsv2_is_required(options, violated):
    inputs = {} if options is None else {"metadataOptions": options}
    for resource_type in ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"):
        assert bool(messages([resource(resource_type, inputs)], IMDS_RULE)) is violated


def test_other_rules_are_advisory_in_dev_and_mandatory_in_prod():
    instance = resource("aws:ec2/instance:Instance", {})
    assert [v["enforcementLevel"] for v in violations([instance], DEV_CONFIG, IMDS_RULE)] == ["advisory"]
    assert [v["enforcementLevel"] for v in violations([instance], PROD_CONFIG, IMDS_RULE)] == ["mandatory"]


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


@pytest.mark.parametrize("inputs, expected", [
    ({"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, []),
    ({"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}, []),
    ({"protocol": "HTTP", "port": 80}, []),
    ({"protocol": "HTTPS", "sslPolicy": UNKNOWN}, []),
    ({"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
     ["`sslPolicy` 'ELBSecurityPolicy-2016-08' allows TLS versions older than 1.2"]),
    ({"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-1-2021-06"},
     ["`sslPolicy` 'ELBSecurityPolicy-TLS13-1-1-2021-06' allows TLS versions older than 1.2"]),
    ({"protocol": "HTTPS"}, ["no `sslPolicy`: AWS falls back to ELBSecurityPolicy-2016-08, which allows TLS 1.0"]),
])
def test_listener_tls_policy(inputs, expected):
    assert messages([resource("aws:lb/listener:Listener", inputs)], TLS_RULE) == expected


def test_public_databases():
    for resource_type in ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"):
        assert len(messages([resource(resource_type, {"publiclyAccessible": True})], PUBLIC_DB_RULE)) == 1
        assert messages([resource(resource_type, {"publiclyAccessible": False})], PUBLIC_DB_RULE) == []
